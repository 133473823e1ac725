"""Response credit, FILE, CANCEL, threads, DUMP_STACK and the host's exit
while an application thread is blocked (docs/protocol.md)."""

import json
import os
import time
import unittest

from .harness import Host, HostTestCase, P

MIB = 1024 * 1024


def big_body(n):
    return bytes(range(256)) * (n // 256) + b"x" * (n % 256)


class Credit(HostTestCase):
    HOST_OPTIONS = {"threads": 2, "response_window": MIB}

    def check_credit_flow(self, query):
        sid = self.sid()
        self.host.request(sid, path="/big", query=query)
        ftype, _, payload = self.host.frame_for(sid)
        self.assertEqual(ftype, P.HEAD)
        head, body = P.decode_head_payload(payload)
        self.assertEqual(len(body), MIB)  # exactly the window
        self.assertNoFrame(sid)           # waits for CREDIT
        received = body
        for _ in range(2):
            self.host.send(P.CREDIT, sid, P.U32.pack(MIB))
            ftype, _, payload = self.host.frame_for(sid)
            self.assertEqual(ftype, P.DATA)
            self.assertEqual(len(payload), MIB)
            received += payload
        self.assertEqual(self.host.frame_for(sid)[0], P.END)
        self.assertEqual(received, big_body(3 * MIB))

    def test_a_3_mib_list_body_with_a_1_mib_window_waits_for_credit(self):
        self.check_credit_flow("")

    def test_a_3_mib_generator_chunk_with_a_1_mib_window_waits_for_credit(self):
        self.check_credit_flow("gen=1")

    def test_small_credits_split_the_body_into_pieces_of_the_credit_size(self):
        sid = self.sid()
        n = MIB + 10
        self.host.request(sid, path="/big", query="n=%d" % n)
        ftype, _, payload = self.host.frame_for(sid)
        self.assertEqual(len(P.decode_head_payload(payload)[1]), MIB)
        self.host.send(P.CREDIT, sid, P.U32.pack(4))
        self.assertEqual(self.host.frame_for(sid)[2], big_body(n)[MIB:MIB + 4])
        self.host.send(P.CREDIT, sid, P.U32.pack(100))
        self.assertEqual(self.host.frame_for(sid)[2], big_body(n)[MIB + 4:])
        self.assertEqual(self.host.frame_for(sid)[0], P.END)

    def test_cancel_while_waiting_for_credit_aborts_promptly(self):
        sid = self.sid()
        self.host.request(sid, path="/big")
        self.assertEqual(self.host.frame_for(sid)[0], P.HEAD)
        self.host.send(P.CANCEL, sid)
        self.assertEqual(self.host.frame_for(sid)[0], P.ABORT)


class Files(HostTestCase):
    HOST_OPTIONS = {"threads": 2}

    def file_frame(self, query):
        sid = self.sid()
        self.host.request(sid, path="/file", query=query)
        ftype, _, payload = self.host.frame_for(sid)
        self.assertEqual(ftype, P.HEAD)
        head, body = P.decode_head_payload(payload)
        self.assertEqual(body, b"")
        ftype, _, payload = self.host.frame_for(sid)
        self.assertEqual(ftype, P.FILE)
        return sid, P.decode_file_payload(payload)

    def test_file_wrapper_sends_a_file_frame_with_a_proc_path_then_waits_for_file_done(self):
        tok = self.token()
        sid, (offset, count, path) = self.file_frame("size=100000&tok=" + tok)
        self.assertEqual((offset, count), (0, 100000))
        self.assertRegex(path, r"^/proc/%d/fd/\d+$" % self.host.pid)
        with open(path, "rb") as fh:  # what the worker does
            self.assertEqual(fh.read(), bytes(range(256)) * 390 + b"z" * 160)
        self.assertNoFrame(sid)
        self.assertIsNone(self.host.marker("file-closed-" + tok))
        self.host.send(P.FILE_DONE, sid, b"\x01")
        self.assertEqual(self.host.frame_for(sid)[0], P.END)
        self.assertIsNotNone(self.host.marker("file-closed-" + tok))

    def test_file_frame_starts_at_the_current_position_of_the_file(self):
        sid, (offset, count, _) = self.file_frame("size=100000&seek=1000")
        self.assertEqual((offset, count), (1000, 99000))
        self.host.send(P.FILE_DONE, sid, b"\x01")
        self.assertEqual(self.host.frame_for(sid)[0], P.END)

    def test_file_frame_count_is_capped_by_the_declared_content_length(self):
        sid, (offset, count, _) = self.file_frame("size=100000&cl=500")
        self.assertEqual((offset, count), (0, 500))
        self.host.send(P.FILE_DONE, sid, b"\x01")
        self.assertEqual(self.host.frame_for(sid)[0], P.END)

    def test_file_done_zero_aborts_the_stream_and_closes_the_file(self):
        tok = self.token()
        sid, _ = self.file_frame("size=1000&tok=" + tok)
        self.host.send(P.FILE_DONE, sid, b"\x00")
        self.assertEqual(self.host.frame_for(sid)[0], P.ABORT)
        self.assertIsNotNone(self.host.marker("file-closed-" + tok))

    def test_file_wrapper_around_a_file_like_without_fileno_is_iterated(self):
        r = self.get("/bytesio_file")
        self.assertNotIn("FILE", r.types)
        self.assertEqual(r.ended, "END")
        self.assertEqual(r.body, b"abc" * 5000)

    def test_file_wrapper_for_a_head_request_sends_no_file(self):
        tok = self.token()
        r = self.get("/file?tok=" + tok, method="HEAD")
        self.assertEqual(r.types, ["HEAD_END"])
        self.assertIsNotNone(self.host.marker("file-closed-" + tok))


class Cancel(HostTestCase):
    HOST_OPTIONS = {"threads": 1}

    def test_close_is_called_after_cancel_mid_stream_and_the_stream_ends_with_abort(self):
        tok = self.token()
        sid = self.sid()
        self.host.request(sid, path="/closing", query="mode=slow&delay=0.2&n=10&tok=" + tok)
        self.assertEqual(self.host.frame_for(sid)[0], P.HEAD)
        self.host.send(P.CANCEL, sid)
        r = self.host.response(sid)
        self.assertEqual(r.ended, "ABORT")
        self.assertIsNotNone(self.host.marker("closed-" + tok))
        self.assertLess(len(self.host.marker("chunk-" + tok).split()), 10)

    def test_cancel_makes_write_raise_oserror(self):
        tok = self.token()
        sid = self.sid()
        self.host.request(sid, path="/cancel_write", query="tok=" + tok)
        self.assertEqual(self.host.frame_for(sid)[0], P.HEAD)
        self.host.send(P.CANCEL, sid)
        r = self.host.response(sid)
        self.assertEqual(r.ended, "ABORT")
        self.assertEqual(self.host.marker("write-raised-" + tok), "Cancelled\n")

    def test_a_request_cancelled_while_queued_is_aborted_without_calling_the_app(self):
        busy, queued = self.sid(), self.sid()
        tok = self.token()
        self.host.request(busy, path="/sleep", query="t=0.3")
        self.host.request(queued, path="/closing", query="tok=" + tok)
        self.host.send(P.CANCEL, queued)
        self.assertEqual(self.host.response(queued).types, ["ABORT"])
        self.assertIsNone(self.host.marker("closed-" + tok))
        self.assertEqual(self.host.response(busy).ended, "HEAD_END")


class Outbox(HostTestCase):
    HOST_OPTIONS = {"threads": 1}

    def test_a_finished_response_is_not_held_back_by_a_slow_next_request(self):
        # While requests are queued, last frames wait in the outbox to share
        # a sendall; the flusher must send them within a few milliseconds
        # even when the thread is stuck in the next request.
        first, quick, slow = self.sid(), self.sid(), self.sid()
        started = time.monotonic()
        self.host.request(first, path="/sleep", query="t=0.2")
        time.sleep(0.05)
        self.host.send_raw(P.encode_frame(P.REQUEST, quick, P.encode_request_head(
            "GET", "/list", "", "HTTP/1.1", "127.0.0.1", 1, "localhost", 80, "http", "")) +
            P.encode_frame(P.REQUEST, slow, P.encode_request_head(
                "GET", "/sleep", "t=1", "HTTP/1.1", "127.0.0.1", 1, "localhost", 80, "http", "")))
        self.assertEqual(self.host.response(first).ended, "HEAD_END")
        self.assertEqual(self.host.response(quick).body, b"hello world")
        self.assertLess(time.monotonic() - started, 0.6)
        self.assertEqual(self.host.response(slow).ended, "HEAD_END")


class Threads(HostTestCase):
    HOST_OPTIONS = {"threads": 3}

    def test_t_slow_requests_run_concurrently_on_t_threads(self):
        sids = [self.sid() for _ in range(3)]
        started = time.monotonic()
        for sid in sids:
            self.host.request(sid, path="/sleep", query="t=0.5")
        results = [json.loads(self.host.response(sid).body.decode()) for sid in sids]
        self.assertLess(time.monotonic() - started, 1.3)  # one after another: 1.5 s
        self.assertEqual(max(r["max_inflight"] for r in results), 3)
        self.assertEqual(len({r["thread"] for r in results}), 3)


class DumpStack(HostTestCase):
    HOST_OPTIONS = {"threads": 1}

    def test_dump_stack_logs_the_stack_of_the_thread_running_the_stream(self):
        tok = self.token()
        sid = self.sid()
        self.host.request(sid, path="/block", query="tok=" + tok)
        deadline = time.monotonic() + 5
        while self.host.marker("blocking-" + tok) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        self.host.send(P.DUMP_STACK, sid)
        self.assertTrue(self.host.wait_stderr("ERROR request timeout for GET /block?tok=%s; stack" % tok))
        self.assertTrue(self.host.wait_stderr("in h_block"))


class Exit(unittest.TestCase):
    def test_eof_on_the_socket_makes_the_host_exit_promptly_while_an_app_thread_is_blocked(self):
        host = Host("basic:app", threads=1)
        self.addCleanup(host.cleanup)
        host.hello()
        host.request(1, path="/block", query="tok=eof")
        deadline = time.monotonic() + 5
        while host.marker("blocking-eof") is None and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
        self.assertEqual(host.close(), 0)
        self.assertLess(time.monotonic() - started, 2.0)

    def test_host_dies_with_its_parent_even_without_reading_eof(self):
        # PR_SET_PDEATHSIG: a grandchild host whose parent dies is killed.
        import subprocess
        import sys
        code = ("import sys, time; sys.path.insert(0, %r); from harness import Host; "
                "h = Host('basic:app', threads=1); h.hello(); print(h.pid, flush=True); time.sleep(30)"
                % os.path.dirname(os.path.abspath(__file__)))
        parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE)
        pid = int(parent.stdout.readline())
        parent.kill()
        parent.wait()
        parent.stdout.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.02)
        self.fail("host %d outlived its parent" % pid)


if __name__ == "__main__":
    unittest.main()
