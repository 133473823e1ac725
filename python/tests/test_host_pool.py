"""Who reads the bridge socket (pool.py): the application thread that runs
the request, one wake-up per request when requests come one at a time,
and a standby reader for frames that arrive while every thread is busy."""

import json
import os
import socket
import threading
import time
import unittest

from .harness import HostTestCase, P
from yimmo_host import pool as pool_mod
from unittest import mock

from yimmo_host import channel as channel_mod
from yimmo_host.channel import Channel
from yimmo_host.protocol import END, HEADER

MIB = 1024 * 1024


def voluntary_switches(pid):
    """Voluntary context switches of every thread of ``pid`` (Linux)."""
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
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
        self.assertLess(per_request, 2.0, "%.2f voluntary context switches per request" % per_request)


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


# The worker's ends of the in-process pools' sockets. Never closed: the
# pool's threads outlive each test (they wait on the socket forever), and
# EOF would make one of them end this process (os._exit, as in a host).
_KEEP = []


@unittest.skipUnless(pool_mod.usable(), "needs epoll with EPOLLEXCLUSIVE")
class Outbox(unittest.TestCase):
    """Which sends carry which last frames, with the real Pool and Channel
    in this process; the application is ``run`` (a script per stream)."""

    def start(self, threads, flusher=False, idle_hold_gap=0.0, join=60.0, backoff=0.01):
        host_end, worker_end = socket.socketpair()
        _KEEP.append((host_end, worker_end))
        ch = Channel(host_end, 1 << 20, 65536)
        self.sends = []
        self.sent = threading.Condition()

        def sendall(data):
            with self.sent:
                self.sends.append(bytes(data))
                self.sent.notify_all()
        ch._sendall = sendall
        pool = pool_mod.Pool(ch, threads)
        ch.queue = pool
        # However slowly this loaded machine runs the scripts, a stream
        # counts as quick and (unless a test says otherwise) a held frame as
        # young; no idle holds unless asked (the flusher's delay, the bound,
        # is left as it is).
        for mod, name, value in ((channel_mod, "OUTBOX_SLOW", 60.0), (channel_mod, "OUTBOX_JOIN", join),
                                 (pool_mod, "IDLE_HOLD_GAP", idle_hold_gap),
                                 (pool_mod, "IDLE_HOLD_BACKOFF", backoff)):
            if hasattr(mod, name):
                patcher = mock.patch.object(mod, name, value)
                patcher.start()
                self.addCleanup(patcher.stop)
        self.scripts = {}
        self.worker_end = worker_end
        self.ch = ch

        def run(stream):
            stream.started = time.monotonic()  # as Handler.run_stream does
            self.scripts[stream.sid](stream)
        for slot in range(threads):
            threading.Thread(target=pool.serve, args=(slot, run), daemon=True).start()
        if flusher:
            threading.Thread(target=ch.run_flusher, daemon=True).start()
        else:
            ch._flusher_asleep = False  # none to wake

    def request(self, sid, script):
        self.scripts[sid] = script
        head = P.encode_request_head("GET", "/", "", "HTTP/1.1", "127.0.0.1", 1, "localhost", 80, "http", "")
        self.worker_end.sendall(P.encode_frame(P.REQUEST, sid, head))

    def end(self, stream):
        self.ch.final(HEADER.pack(0, END, stream.sid), stream)

    def wait_sends(self, n, timeout=5.0):
        with self.sent:
            self.sent.wait_for(lambda: len(self.sends) >= n, timeout)
            return list(self.sends)

    def test_a_lone_response_is_sent_before_final_returns(self):
        # Nothing else runs or waits: holding it would only delay it.
        self.start(threads=2)
        seen = []
        done = threading.Event()

        def lone(stream):
            self.end(stream)
            seen.append(list(self.sends))
            done.set()
        self.request(1, lone)
        self.assertTrue(done.wait(5))
        self.assertEqual(seen, [[HEADER.pack(0, END, 1)]])

    def test_a_response_finished_while_another_runs_leaves_with_that_one(self):
        # Before, the quick response went alone the moment it finished
        # (nothing was queued), and the slow one in a second send.
        self.start(threads=2)
        quick_done = threading.Event()
        slow_running = threading.Event()

        def slow(stream):
            slow_running.set()
            quick_done.wait(5)
            self.end(stream)

        def quick(stream):
            self.end(stream)
            quick_done.set()
        self.request(1, slow)
        self.assertTrue(slow_running.wait(5))
        self.request(3, quick)
        sends = self.wait_sends(1)
        self.assertEqual(sends, [HEADER.pack(0, END, 3) + HEADER.pack(0, END, 1)])

    def test_the_last_thread_to_go_idle_sends_what_waits(self):
        # The stream that ran alongside ends without a last frame of its
        # own (as after an internal error): its thread, going idle last,
        # sends the held response; no flusher runs here.
        self.start(threads=2)
        quick_done = threading.Event()
        slow_running = threading.Event()
        held = []

        def slow(stream):
            slow_running.set()
            quick_done.wait(5)
            held.append(list(self.sends))

        def quick(stream):
            self.end(stream)
            quick_done.set()
        self.request(1, slow)
        self.assertTrue(slow_running.wait(5))
        self.request(3, quick)
        self.assertEqual(self.wait_sends(1), [HEADER.pack(0, END, 3)])
        self.assertEqual(held, [[]])  # it waited while the other stream ran

    def test_a_held_response_waits_at_most_about_the_outbox_delay(self):
        # The other stream runs on for seconds: the flusher sends it.
        self.start(threads=2, flusher=True)
        release = threading.Event()
        self.addCleanup(release.set)
        slow_running = threading.Event()
        seen = []

        def slow(stream):
            slow_running.set()
            release.wait(10)
            self.end(stream)

        def quick(stream):
            self.end(stream)
            seen.append((time.monotonic(), list(self.sends)))
        self.request(1, slow)
        self.assertTrue(slow_running.wait(5))
        self.request(3, quick)
        sends = self.wait_sends(1, timeout=5)
        arrived = time.monotonic()
        self.assertEqual(seen[0][1], [])  # held, not sent by final()
        self.assertEqual(sends, [HEADER.pack(0, END, 3)])
        self.assertLess(arrived - seen[0][0], 0.5)  # OUTBOX_DELAY is 2 ms; loose for a loaded machine

    def test_with_requests_arriving_close_together_a_response_waits_for_the_next_one(self):
        # Nothing else runs when the second response is done, but requests
        # come close together (a new connection per request from many
        # clients): it waits, up to OUTBOX_JOIN, and leaves with the third.
        self.start(threads=2, idle_hold_gap=60.0, join=2.0)
        self.request(1, self.end)
        self.assertEqual(self.wait_sends(1), [HEADER.pack(0, END, 1)])  # the first: nothing came before it
        second_done = threading.Event()
        held = []

        def second(stream):
            self.end(stream)
            held.append(list(self.sends))
            second_done.set()
        self.request(2, second)
        self.assertTrue(second_done.wait(5))
        self.request(3, self.end)
        sends = self.wait_sends(2, timeout=10)
        self.assertEqual(held, [[HEADER.pack(0, END, 1)]])
        self.assertEqual(sends, [HEADER.pack(0, END, 1), HEADER.pack(0, END, 2) + HEADER.pack(0, END, 3)])

    def test_an_idle_hold_that_nothing_joins_ends_at_its_deadline_and_backs_off(self):
        # A client sending one request at a time: the held response goes at
        # OUTBOX_JOIN, and the next ones are not held for a while.
        self.start(threads=1, idle_hold_gap=60.0, join=0.2, backoff=60.0)
        self.request(1, self.end)
        self.assertEqual(self.wait_sends(1), [HEADER.pack(0, END, 1)])
        done = []

        def held(stream):
            self.end(stream)
            done.append((time.monotonic(), list(self.sends)))
        self.request(2, held)
        sends = self.wait_sends(2, timeout=10)
        arrived = time.monotonic()
        self.assertEqual(done[0][1], [HEADER.pack(0, END, 1)])  # held by final()
        self.assertEqual(sends[1], HEADER.pack(0, END, 2))
        self.assertGreaterEqual(arrived - done[0][0], 0.15)
        self.assertLess(arrived - done[0][0], 5.0)
        after = []

        def not_held(stream):
            self.end(stream)
            after.append(list(self.sends))
        self.request(3, not_held)
        self.wait_sends(3)
        self.assertEqual(after, [[HEADER.pack(0, END, 1), HEADER.pack(0, END, 2), HEADER.pack(0, END, 3)]])


if __name__ == "__main__":
    unittest.main()
