"""Direct writes from the host's side (docs/protocol.md "Direct writes"):
the worker's DIRECT_REFUSED sends the body over the bridge instead, and
every wait for the worker is bounded by the timeout it passes
(direct_timeout): a socket that does not arrive is answered with
DIRECT_UNDONE and the body crosses the bridge; no answer to DIRECT and no
CREDIT abort the stream, and the iterable's close() still runs (PEP 3333)."""

import time
import unittest

from .harness import HostTestCase, P


class Refused(HostTestCase):
    HOST_OPTIONS = {"threads": 2, "handoff": True}

    def offer(self, path, query):
        sid = self.sid()
        self.host.request(sid, path=path, query=query, direct=True)
        ftype, _, payload = self.host.frame_for(sid, 5)
        self.assertEqual(P.NAMES[ftype], "DIRECT")
        return sid, payload

    def test_a_refused_direct_write_sends_the_whole_body_as_data_then_end(self):
        n = 300 * 1024
        sid, payload = self.offer("/big", "n=%d" % n)
        self.assertEqual(P.U64.unpack(payload[-8:])[0], n)
        self.host.send(P.DIRECT_REFUSED, sid)
        r = self.host.response(sid, auto_credit=True)
        self.assertEqual(r.ended, "END")
        self.assertNotIn("HEAD", r.types, "the worker wrote the head: no HEAD may follow")
        self.assertEqual(set(r.types[:-1]), {"DATA"})
        expected = (bytes(range(256)) * (n // 256 + 1))[:n]
        self.assertEqual(r.body, expected)

    def test_a_refused_file_is_sent_as_file_after_all(self):
        sid, _ = self.offer("/file", "size=300000&tok=" + self.token())
        self.host.send(P.DIRECT_REFUSED, sid)
        ftype, _, payload = self.host.frame_for(sid, 5)
        self.assertEqual(P.NAMES[ftype], "FILE")
        self.host.send(P.FILE_DONE, sid, b"\x01")
        ftype, _, _ = self.host.frame_for(sid, 5)
        self.assertEqual(P.NAMES[ftype], "END")


class BoundedWaits(HostTestCase):
    HOST_OPTIONS = {"threads": 2, "handoff": True, "direct_timeout": 0.5}

    def assertAbortedAfterTheBound(self, sid, started, reason):
        r = self.host.response(sid, timeout=10)
        elapsed = time.monotonic() - started
        self.assertEqual(r.ended, "ABORT")
        self.assertIn(reason, r.abort_reason)
        self.assertGreaterEqual(elapsed, 0.5)
        return r

    def test_no_answer_to_direct_aborts_the_stream_and_close_still_runs(self):
        tok = self.token()
        sid = self.sid()
        started = time.monotonic()
        self.host.request(sid, path="/big_closing", query="n=%d&tok=%s" % (300 * 1024, tok), direct=True)
        self.assertEqual(P.NAMES[self.host.frame_for(sid, 5)[0]], "DIRECT")
        self.assertAbortedAfterTheBound(sid, started, "no answer to DIRECT")
        self.assertIsNotNone(self.host.marker("closed-" + tok))
        self.assertTrue(self.host.wait_stderr("the stream is aborted"))

    def test_a_socket_that_never_arrives_is_undone_and_the_body_crosses_the_bridge(self):
        tok = self.token()
        sid = self.sid()
        n = 300 * 1024
        self.host.request(sid, path="/big_closing", query="n=%d&tok=%s" % (n, tok), direct=True)
        self.assertEqual(P.NAMES[self.host.frame_for(sid, 5)[0]], "DIRECT")
        started = time.monotonic()
        self.host.send(P.DIRECT_GO, sid, P.U32.pack(99) + b"HTTP/1.1 200 OK\r\n\r\n")
        ftype, _, _ = self.host.frame_for(sid, 5)
        self.assertEqual(P.NAMES[ftype], "DIRECT_UNDONE")
        self.assertGreaterEqual(time.monotonic() - started, 0.25)  # half the 0.5 s bound
        r = self.host.response(sid, auto_credit=True)
        self.assertEqual(r.ended, "END")
        self.assertEqual(set(r.types[:-1]), {"DATA"})
        self.assertEqual(r.body, b"d" * n)
        self.assertIsNotNone(self.host.marker("closed-" + tok))

    def test_no_credit_aborts_the_stream_and_close_still_runs(self):
        tok = self.token()
        sid = self.sid()
        started = time.monotonic()
        # 2 MiB in 64 KiB chunks against a 1 MiB window and no CREDIT at all.
        self.host.request(sid, path="/big_closing", query="mode=many&n=%d&tok=%s" % (2 << 20, tok))
        r = self.assertAbortedAfterTheBound(sid, started, "no CREDIT")
        self.assertEqual(len(r.body), 1 << 20)
        self.assertIsNotNone(self.host.marker("closed-" + tok))

    def test_the_host_still_serves_after_the_aborted_streams(self):
        self.assertEqual(self.get("/list").body, b"hello world")


if __name__ == "__main__":
    unittest.main()
