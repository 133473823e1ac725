"""Channel.final: which last frames wait in the outbox (channel.py)."""

import queue
import threading
import time
import unittest

from .harness import P  # noqa: F401  (puts python/ on sys.path)
from yimmo_host.channel import OUTBOX_SLOW, Channel, Stream


class Recorder(object):
    def __init__(self):
        self.sent = []

    def sendall(self, data):
        self.sent.append(bytes(data))


class Final(unittest.TestCase):
    def setUp(self):
        self.sock = Recorder()
        self.ch = Channel(self.sock, 1 << 20, 65536)
        self.ch.queue = queue.SimpleQueue()
        self.ch._flusher_asleep = False  # no flusher thread in this test: do not wake one

    def stream(self, ran):
        s = Stream(1, b"", 1 << 20, threading.Lock())
        s.started = time.monotonic() - ran
        return s

    def test_with_nothing_queued_the_frame_goes_at_once(self):
        self.ch.final(b"frame", self.stream(0.0))
        self.assertEqual(self.sock.sent, [b"frame"])

    def test_a_quick_stream_waits_in_the_outbox_while_requests_are_queued(self):
        self.ch.queue.put(object())
        self.ch.final(b"frame", self.stream(0.0))
        self.assertEqual(self.sock.sent, [])
        self.ch.flush()
        self.assertEqual(self.sock.sent, [b"frame"])

    def test_a_slow_stream_skips_the_outbox_even_with_requests_queued(self):
        # Nothing would join it before the flusher's deadline: sent now,
        # together with what already waited.
        self.ch.queue.put(object())
        self.ch.final(b"one", self.stream(0.0))
        self.ch.final(b"two", self.stream(OUTBOX_SLOW * 4))
        self.assertEqual(self.sock.sent, [b"onetwo"])


if __name__ == "__main__":
    unittest.main()
