"""wsgi.input: reads across BODY frames, EOF, 100-continue, WINDOW flow
control, BODY_ERROR (PEP 3333 "Input and Error Streams"; docs/protocol.md
"Request body flow control")."""

import hashlib
import json
import time
import unittest

from .harness import HostTestCase, P

BODY = b"line one\nline two\r\nline three\n\nlast-no-newline"


class Input(HostTestCase):
    HOST_OPTIONS = {"threads": 2, "request_window": 4096}

    def echo(self, mode, body=BODY, chunk=3, extra=""):
        r = self.get("/echo?mode=%s%s" % (mode, extra), method="POST", body=body, chunk=chunk)
        self.assertEqual(r.ended, "HEAD_END", r.abort_reason)
        return [p.encode("latin-1") for p in json.loads(r.body.decode())]

    def test_read_returns_the_whole_body_sent_in_many_body_frames(self):
        self.assertEqual(self.echo("read"), [BODY])

    def test_read_none_and_read_minus_one_return_the_whole_body(self):
        self.assertEqual(self.echo("read_none"), [BODY])
        self.assertEqual(self.echo("read_neg"), [BODY])

    def test_read_n_never_returns_more_than_n_and_ends_with_empty_bytes(self):
        parts = self.echo("readn", extra="&n=7")
        self.assertEqual(b"".join(parts), BODY)
        self.assertEqual([len(p) for p in parts[:-1]], [7] * (len(parts) - 1))

    def test_readline_splits_on_newline_only_and_returns_the_unterminated_last_line(self):
        self.assertEqual(self.echo("readline"),
                         [b"line one\n", b"line two\r\n", b"line three\n", b"\n", b"last-no-newline"])

    def test_readline_with_a_size_returns_at_most_size_bytes(self):
        parts = self.echo("readline_n", extra="&n=4")
        self.assertEqual(b"".join(parts), BODY)
        self.assertEqual(parts[:6], [b"line", b" one", b"\n", b"line", b" two", b"\r\n"])

    def test_readlines_and_iteration_return_all_lines(self):
        lines = [b"line one\n", b"line two\r\n", b"line three\n", b"\n", b"last-no-newline"]
        self.assertEqual(self.echo("readlines"), lines)
        self.assertEqual(self.echo("iter"), lines)

    def test_readlines_with_a_hint_stops_early_and_loses_nothing(self):
        parts = self.echo("readlines_hint", extra="&n=5")
        self.assertEqual(parts[0], b"line one\n")
        self.assertEqual(b"".join(parts), BODY)

    def test_reading_past_the_end_of_the_body_returns_empty_bytes(self):
        self.assertEqual(self.echo("past", body=b"0123456789"), [b"0123456789", b"", b"", b""])

    def test_whole_body_in_one_frame_before_the_app_reads_is_returned_at_once(self):
        self.assertEqual(self.echo("read", chunk=None), [BODY])

    def test_all_256_byte_values_survive(self):
        body = bytes(range(256)) * 4
        self.assertEqual(self.echo("read", body=body, chunk=100), [body])

    def test_request_without_a_body_reads_empty_bytes_and_sends_no_frames(self):
        r = self.get("/echo?mode=read")
        self.assertEqual(r.types, ["HEAD_END"])
        self.assertEqual(json.loads(r.body.decode()), [""])

    def test_continue_is_sent_once_on_the_first_read_when_the_request_expects_it(self):
        sid = self.sid()
        self.host.request(sid, method="POST", path="/echo", query="mode=readline", body=BODY,
                          expect_continue=True)
        ftype, _, payload = self.host.frame_for(sid)
        self.assertEqual((ftype, payload), (P.CONTINUE, b""))
        self.host.send_body(sid, BODY, chunk=5)
        r = self.host.response(sid)
        self.assertNotIn("CONTINUE", r.types)  # only the first read sent one
        self.assertEqual(b"".join(p.encode("latin-1") for p in json.loads(r.body.decode())), BODY)

    def test_no_continue_when_the_app_never_reads_the_body(self):
        sid = self.sid()
        self.host.request(sid, method="POST", path="/noread", body=BODY, expect_continue=True)
        r = self.host.response(sid)
        self.assertEqual(r.types, ["HEAD_END"])

    def test_no_continue_without_the_c_flag(self):
        r = self.get("/echo?mode=read", method="POST", body=BODY)
        # The app's read may return its window (WINDOW) before the response
        # leaves, depending on thread timing: flow control, not a CONTINUE.
        self.assertNotIn("CONTINUE", r.types)
        self.assertEqual([t for t in r.types if t != "WINDOW"], ["HEAD_END"])

    def test_body_error_makes_reads_raise_ioerror_in_the_app(self):
        sid = self.sid()
        self.host.request(sid, method="POST", path="/input_error", body=b"partial", body_end=False)
        self.host.send(P.BODY_ERROR, sid, b"client disconnected")
        r = self.host.response(sid)
        # The app may read "partial" and return its 7 bytes (WINDOW) before
        # BODY_ERROR arrives: flow control, allowed before the response.
        self.assertEqual([t for t in r.types if t != "WINDOW"], ["HEAD_END"])
        self.assertTrue(r.body.startswith(b"caught InputError: "), r.body)
        self.assertIn(b"client disconnected", r.body)

    def test_window_frames_return_consumed_bytes_so_a_large_body_flows(self):
        window = self.HOST_OPTIONS["request_window"]
        body = bytes((i * 7) % 251 for i in range(100000))
        sid = self.sid()
        self.host.request(sid, method="POST", path="/sum", query="size=1000", body=b"", body_end=False)
        sent = returned = 0
        windows = []
        while sent < len(body):
            allowance = window - (sent - returned)
            if allowance > 0:
                n = min(allowance, len(body) - sent, 1500)
                self.host.send(P.BODY, sid, body[sent:sent + n])
                sent += n
                continue
            ftype, _, payload = self.host.frame_for(sid)
            self.assertEqual(ftype, P.WINDOW, "the host must return the window before it blocks")
            windows.append(P.u32(payload))
            returned += windows[-1]
            self.assertLessEqual(returned, sent)
        self.host.send(P.BODY_END, sid)
        while True:
            ftype, _, payload = self.host.frame_for(sid)
            if ftype == P.WINDOW:
                windows.append(P.u32(payload))
                continue
            break
        self.assertEqual(ftype, P.HEAD_END)
        result = json.loads(P.decode_head_payload(payload)[1].decode())
        self.assertEqual(result, {"len": len(body), "sha256": hashlib.sha256(body).hexdigest()})
        self.assertGreater(len(windows), 10)

    def test_window_is_returned_in_batches_not_per_read(self):
        window = self.HOST_OPTIONS["request_window"]
        sid = self.sid()
        self.host.request(sid, method="POST", path="/sum", query="size=10", body=b"x" * window,
                          body_end=False)
        ftype, _, payload = self.host.frame_for(sid)
        self.assertEqual(ftype, P.WINDOW)
        self.assertGreaterEqual(P.u32(payload), window // 2)
        self.host.send(P.BODY_END, sid)
        r = self.host.response(sid)
        self.assertEqual(json.loads(r.body.decode())["len"], window)

    def test_cancel_while_the_app_waits_for_body_bytes_raises_in_the_app(self):
        sid = self.sid()
        self.host.request(sid, method="POST", path="/input_error", body=b"abc", body_end=False)
        time.sleep(0.1)
        self.host.send(P.CANCEL, sid)
        r = self.host.response(sid)
        self.assertEqual(r.ended, "ABORT")


if __name__ == "__main__":
    unittest.main()
