"""yimmo_host.handoff: client sockets handed over over Node's IPC channel
(docs/protocol.md "Direct writes"), and the direct write itself.

The "worker" here is a socket pair speaking Node's wire format: one JSON
line per message, the descriptor as SCM_RIGHTS, an ACK expected back.
"""

import array
import json
import os
import socket
import tempfile
import threading
import time
import unittest

from . import harness  # noqa: F401  (puts yimmo_host on sys.path)
from yimmo_host.channel import Stream
from yimmo_host.direct import sendfile_direct, write_direct
from yimmo_host.handoff import ACK, Handoff, open_channel
from yimmo_host.outcome import WorkerSilent


def node_send(sock, cid, fd):
    """What Node's child.send({c: cid}, handle) puts on the channel."""
    line = json.dumps({"cmd": "NODE_HANDLE", "type": "net.Native", "msg": {"c": cid}}).encode() + b"\n"
    sock.sendmsg([line], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [fd]))])


def new_stream(sid=1):
    return Stream(sid, b"", 1 << 20, threading.Lock())


def eof_within(sock, seconds=2.0):
    """True once the peer of ``sock`` is closed for good (every copy of it)."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
        return True
    except socket.timeout:
        return False


class HandoffTest(unittest.TestCase):
    def setUp(self):
        self.worker, host_end = socket.socketpair()
        self.handoff = Handoff(host_end)
        self.reader = threading.Thread(target=self.handoff.run, daemon=True)
        self.reader.start()
        self.addCleanup(host_end.close)
        self.addCleanup(self.worker.close)

    def hand_over(self, cid):
        """A client connection whose only copy, once handed over, is the host's."""
        ours, client = socket.socketpair()
        node_send(self.worker, cid, ours.fileno())
        ours.close()
        self.worker.settimeout(2)
        self.assertEqual(self.worker.recv(len(ACK)), ACK)
        self.addCleanup(client.close)
        return client

    def test_a_handed_over_socket_is_acknowledged_and_written_through_until_forgotten(self):
        client = self.hand_over(7)
        stream = new_stream()
        fd = self.handoff.acquire(7, stream)
        self.assertIsNotNone(fd)
        write_direct(fd, b"HEAD ", b"body", 1.0)
        self.handoff.release(7)
        client.settimeout(2)
        self.assertEqual(client.recv(100), b"HEAD body")
        self.handoff.forget(7)
        self.assertTrue(eof_within(client), "the host kept its copy after FORGET")

    def test_forget_during_a_write_closes_when_the_write_ends(self):
        client = self.hand_over(8)
        fd = self.handoff.acquire(8, new_stream())
        self.handoff.forget(8)
        os.write(fd, b"still mine")  # the descriptor is not closed under the writer
        self.handoff.release(8)
        client.settimeout(2)
        self.assertEqual(client.recv(100), b"still mine")
        self.assertTrue(eof_within(client))

    def test_a_socket_forgotten_before_it_arrives_is_closed_on_arrival(self):
        self.handoff.forget(9)
        client = self.hand_over(9)
        self.assertTrue(eof_within(client))

    def test_acquire_waits_for_the_socket_and_gives_up_when_the_stream_is_cancelled(self):
        stream = new_stream()
        got = []
        waiter = threading.Thread(target=lambda: got.append(self.handoff.acquire(10, stream)))
        waiter.start()
        time.sleep(0.1)
        self.assertEqual(got, [])
        self.hand_over(10)
        waiter.join(2)
        self.assertTrue(got and got[0] is not None)
        self.handoff.release(10)

        cancelled = new_stream(2)
        got = []
        waiter = threading.Thread(target=lambda: got.append(self.handoff.acquire(11, cancelled)))
        waiter.start()
        time.sleep(0.1)
        with cancelled.mutex:
            cancelled.cancelled = True
            cancelled.wake()
        waiter.join(2)
        self.assertEqual(got, [None])

    def test_acquire_gives_up_after_its_timeout_with_worker_silent(self):
        started = time.monotonic()
        with self.assertRaises(WorkerSilent):
            self.handoff.acquire(13, new_stream(), 0.3)
        self.assertGreaterEqual(time.monotonic() - started, 0.3)

    def test_a_probe_is_acknowledged_answered_through_the_socket_and_not_kept(self):
        ours, client = socket.socketpair()
        line = json.dumps({"cmd": "NODE_HANDLE", "type": "net.Native", "msg": {"probe": "tok-1"}}).encode() + b"\n"
        self.worker.sendmsg([line], [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", [ours.fileno()]))])
        ours.close()
        self.addCleanup(client.close)
        self.worker.settimeout(2)
        self.assertEqual(self.worker.recv(len(ACK)), ACK)
        client.settimeout(2)
        self.assertEqual(client.recv(100), b"tok-1\n")
        self.assertTrue(eof_within(client), "the host kept the probe's socket")
        self.hand_over(14)  # real hand-overs still work after a probe

    def test_other_messages_are_ignored(self):
        self.worker.sendall(b'{"cmd":"NODE_SOMETHING"}\nnot json\n')
        self.hand_over(12)  # still answering


class Reader(threading.Thread):
    """Reads ``size`` bytes from ``sock`` slowly, in a thread of its own."""

    def __init__(self, sock, size):
        threading.Thread.__init__(self, daemon=True)
        self.sock, self.size, self.parts = sock, size, []
        self.start()

    def run(self):
        while sum(map(len, self.parts)) < self.size:
            self.parts.append(self.sock.recv(65536))
            time.sleep(0.001)

    def data(self):
        self.join(10)
        return b"".join(self.parts)


class WriteDirectTest(unittest.TestCase):
    def pair(self):
        ours, client = socket.socketpair()
        ours.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16384)
        ours.setblocking(False)  # as Node keeps it
        self.addCleanup(ours.close)
        self.addCleanup(client.close)
        return ours, client

    def test_a_body_larger_than_the_socket_buffers_arrives_whole_and_the_socket_stays_non_blocking(self):
        ours, client = self.pair()
        body = bytes(range(256)) * 8192  # 2 MiB
        reader = Reader(client, 6 + len(body))
        write_direct(ours.fileno(), b"HEAD\r\n", body, 5.0)
        self.assertEqual(reader.data(), b"HEAD\r\n" + body)
        self.assertFalse(os.get_blocking(ours.fileno()))

    def test_sendfile_sends_the_head_then_the_file_range(self):
        ours, client = self.pair()
        data = bytes(range(256)) * 4096  # 1 MiB
        with tempfile.TemporaryFile() as f:
            f.write(data)
            f.flush()
            reader = Reader(client, 6 + len(data) - 1000)
            sendfile_direct(ours.fileno(), b"HEAD\r\n", f.fileno(), 1000, len(data) - 1000, 5.0)
            self.assertEqual(reader.data(), b"HEAD\r\n" + data[1000:])
            with self.assertRaises(OSError):  # the file is shorter than promised
                sendfile_direct(ours.fileno(), b"", f.fileno(), len(data) - 10, 20, 5.0)

    def test_a_client_that_accepts_nothing_times_out(self):
        ours, _client = self.pair()
        started = time.monotonic()
        with self.assertRaises(TimeoutError):
            write_direct(ours.fileno(), b"HEAD\r\n", b"x" * (8 << 20), 0.3)
        self.assertLess(time.monotonic() - started, 3)

    def test_a_closed_client_raises_oserror(self):
        ours, client = self.pair()
        client.close()
        with self.assertRaises(OSError):
            write_direct(ours.fileno(), b"HEAD\r\n", b"x" * (1 << 20), 1.0)


class OpenChannelTest(unittest.TestCase):
    def test_no_channel_without_node_channel_fd(self):
        self.assertIsNone(open_channel({}))

    def test_the_channel_variables_are_removed_for_the_application(self):
        a, b = socket.socketpair()
        self.addCleanup(a.close)
        env = {"NODE_CHANNEL_FD": str(os.dup(b.fileno())), "NODE_CHANNEL_SERIALIZATION_MODE": "json", "KEEP": "1"}
        b.close()
        sock = open_channel(env)
        self.addCleanup(sock.close)
        self.assertEqual(env, {"KEEP": "1"})
        self.assertFalse(os.get_inheritable(sock.fileno()))


if __name__ == "__main__":
    unittest.main()
