"""Who reads the bridge socket (pool.py): the application thread that runs
the request, one wake-up per request when requests come one at a time,
and a standby reader for frames that arrive while every thread is busy."""

import json
import os
import time
import unittest

from .harness import HostTestCase, P

MIB = 1024 * 1024


def voluntary_switches(pid, tids=None):
    """Voluntary context switches of every thread of ``pid`` (Linux), or
    of the threads ``tids`` only."""
    total = 0
    for tid in tids or os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/status" % (pid, tid)) as fh:
                for line in fh:
                    if line.startswith("voluntary_ctxt_switches"):
                        total += int(line.split()[1])
        except FileNotFoundError:
            pass  # a thread that ended meanwhile
    return total


@unittest.skipUnless(os.path.isdir("/proc/self/task"), "needs /proc")
class OneAtATime(HostTestCase):
    HOST_OPTIONS = {"threads": 4}

    def test_a_lone_request_wakes_one_thread_only(self):
        # With a reader thread handing each request to an application
        # thread, a request cost ~4.7 voluntary context switches (reader,
        # application thread, GIL hand-offs, the reader's pause); the thread
        # that reads it now runs it: one wake-up for the request's arrival.
        for _ in range(20):  # warm up
            self.assertEqual(self.get("/list").ended, "HEAD_END")
        n = 300
        before = voluntary_switches(self.host.pid)
        for _ in range(n):
            self.assertEqual(self.get("/list").body, b"hello world")
        per_request = (voluntary_switches(self.host.pid) - before) / n
        # ~1.1 on a quiet machine; a busy one adds wake-ups of another idle
        # thread when the next request arrives before the reader is back in
        # epoll_wait (2.19 once in CI on 3.9 and 3.10). 3.0 still fails the
        # reader-thread design (~4.7).
        self.assertLess(per_request, 3.0, "%.2f voluntary context switches per request" % per_request)


class Together(HostTestCase):
    HOST_OPTIONS = {"threads": 3}

    def test_requests_read_together_run_on_different_threads(self):
        # One recv brings all three: the reading thread runs one and wakes
        # an idle thread for each of the others.
        sids = [self.sid() for _ in range(3)]
        head = P.encode_request_head("GET", "/sleep", "t=1", "HTTP/1.1", "127.0.0.1", 1, "localhost", 80, "http", "")
        started = time.monotonic()
        self.host.send_raw(b"".join(P.encode_frame(P.REQUEST, sid, head) for sid in sids))
        results = [json.loads(self.host.response(sid).body.decode()) for sid in sids]
        self.assertLess(time.monotonic() - started, 1.8)  # two after another: 2 s
        self.assertEqual(len({r["thread"] for r in results}), 3)


class AllBusy(HostTestCase):
    HOST_OPTIONS = {"threads": 2, "response_window": MIB}

    def test_credit_reaches_a_waiting_stream_while_the_other_thread_is_stuck(self):
        # No application thread waits on the socket: the standby reader
        # must read the CREDIT frames.
        stuck, big = self.sid(), self.sid()
        self.host.request(stuck, path="/sleep", query="t=1.5")
        time.sleep(0.2)
        self.host.request(big, path="/big", query="n=%d" % (3 * MIB))
        r = self.host.response(big, timeout=10, auto_credit=True)
        self.assertEqual(r.ended, "END")
        self.assertEqual(len(r.body), 3 * MIB)
        self.assertEqual(self.host.response(stuck).ended, "HEAD_END")

    def test_a_body_larger_than_the_receive_buffer_arrives_while_the_other_thread_is_stuck(self):
        # More than one recv's worth (256 KiB) in the socket at once: the
        # reading thread must take all of it, or the rest waits for a
        # wake-up that never comes.
        stuck, echo = self.sid(), self.sid()
        self.host.request(stuck, path="/sleep", query="t=1.5")
        time.sleep(0.2)
        body = bytes(range(256)) * (3 * 4096)  # 3 MiB
        head = P.encode_request_head("POST", "/echo", "", "HTTP/1.1", "127.0.0.1", 1, "localhost", 80, "http", "b")
        frames = [P.encode_frame(P.REQUEST, echo, head)]
        frames += [P.encode_frame(P.BODY, echo, body[i:i + 65536]) for i in range(0, len(body), 65536)]
        frames.append(P.encode_frame(P.BODY_END, echo))
        self.host.send_raw(b"".join(frames))
        r = self.host.response(echo, timeout=10, auto_credit=True)
        self.assertEqual(json.loads(r.body.decode()), [body.decode("latin-1")])
        self.assertEqual(self.host.response(stuck).ended, "HEAD_END")

    def test_status_is_answered_while_every_thread_runs_the_application(self):
        first, second = self.sid(), self.sid()
        self.host.request(first, path="/sleep", query="t=2")
        self.host.request(second, path="/sleep", query="t=2")
        time.sleep(0.2)
        self.host.send(P.STATUS, 0, P.encode_status_query(7, 0))
        started = time.monotonic()
        ftype, sid, payload = self.host.frame_for(0, timeout=2)
        self.assertEqual(ftype, P.STATUS_REPLY)
        query, report = P.decode_status_reply(payload)
        self.assertEqual((query, report["busy"]), (7, 2))
        # Answered while both threads still sleep (they end 1.8 s from here);
        # the worker itself gives up on an answer after 500 ms.
        self.assertLess(time.monotonic() - started, 1.0)
        for sid in (first, second):
            self.assertEqual(self.host.response(sid).ended, "HEAD_END")

    def test_the_standby_reader_naps_long_while_every_thread_runs_the_application(self):
        # Each end of a nap costs the main thread a wake-up and the GIL
        # (pool.STANDBY_BACKSTOP); it used to nap 20 ms at a time, ~50
        # wake-ups a second while the host was saturated.
        first, second = self.sid(), self.sid()
        self.host.request(first, path="/sleep", query="t=1.6")
        self.host.request(second, path="/sleep", query="t=1.6")
        time.sleep(0.3)
        main = [str(self.host.pid)]
        before = voluntary_switches(self.host.pid, main)
        time.sleep(1.0)
        woken = voluntary_switches(self.host.pid, main) - before
        self.assertLess(woken, 25, "the main thread woke %d times in 1 s" % woken)
        for sid in (first, second):
            self.assertEqual(self.host.response(sid).ended, "HEAD_END")

    def test_a_queued_request_cancelled_while_every_thread_is_busy_never_runs(self):
        # Read between two requests at the latest (pool.STANDBY_NAP): the
        # CANCEL is seen before a thread takes the queued stream.
        first, second, queued = self.sid(), self.sid(), self.sid()
        self.host.request(first, path="/sleep", query="t=1")
        self.host.request(second, path="/sleep", query="t=1")
        time.sleep(0.2)
        tok = self.token()
        self.host.request(queued, path="/sleep", query="t=0.5&tok=" + tok)
        time.sleep(0.1)
        self.host.send(P.CANCEL, queued)
        r = self.host.response(queued, timeout=5)
        self.assertEqual((r.ended, r.abort_reason), ("ABORT", "cancelled"))
        self.assertIsNone(self.host.marker("slept-" + tok))
        for sid in (first, second):
            self.assertEqual(self.host.response(sid).ended, "HEAD_END")


if __name__ == "__main__":
    unittest.main()
