"""STATUS / STATUS_REPLY (docs/protocol.md "Status"): what the host says
about its threads, its queue and a stream's stack, over a real socket pair."""

import time
import unittest

from .harness import Host, P


class Status(unittest.TestCase):
    def setUp(self):
        self.host = Host("basic:app", threads=1)
        self.addCleanup(self.host.cleanup)
        self.host.hello()

    def query(self, query_id, stack_of):
        self.host.send(P.STATUS, 0, P.encode_status_query(query_id, stack_of))
        ftype, sid, payload = self.host.frame_for(0)
        self.assertEqual((ftype, sid), (P.STATUS_REPLY, 0))
        answered, report = P.decode_status_reply(payload)
        self.assertEqual(answered, query_id)
        return report

    def block(self, sid, tok):
        self.host.request(sid, path="/block", query="tok=" + tok)
        deadline = time.monotonic() + 5
        while self.host.marker("blocking-" + tok) is None and time.monotonic() < deadline:
            time.sleep(0.01)
        self.assertIsNotNone(self.host.marker("blocking-" + tok))

    def test_an_idle_host_reports_its_threads_idle_and_nothing_waited(self):
        report = self.query(1, 0)
        self.assertEqual(report["threads"], 1)
        self.assertEqual((report["busy"], report["queued"]), (0, 0))
        self.assertEqual(report["streams"], {})
        self.assertIsNone(report["stack"])
        self.assertEqual(report["wait"]["count"], 0)
        self.assertEqual(len(report["wait"]["counts"]), len(report["wait"]["bounds"]) + 1)

    def test_a_blocked_stream_shows_its_thread_and_stack_and_the_next_one_queues(self):
        self.block(1, "status")
        self.host.request(2, path="/hello")  # no free thread: it waits in the queue
        time.sleep(0.2)
        report = self.query(9, 1)
        self.assertEqual((report["busy"], report["queued"]), (1, 1))
        self.assertEqual(report["streams"], {"1": "yimmo-app-1"})
        self.assertIn("in h_block", report["stack"])
        self.assertEqual(report["wait"]["count"], 1)  # only the running stream has left the queue
        # The queued stream runs in no thread: no stack.
        self.assertIsNone(self.query(10, 2)["stack"])

    def test_queue_waits_are_counted_in_their_buckets(self):
        for sid in (1, 2, 3):
            self.host.request(sid, path="/hello")
            self.assertIsNotNone(self.host.response(sid).ended)
        wait = self.query(3, 0)["wait"]
        self.assertEqual(wait["count"], 3)
        self.assertEqual(sum(wait["counts"]), 3)
        self.assertGreaterEqual(wait["sum"], 0.0)


class GoldenStatus(unittest.TestCase):
    def test_golden_status_frames_encode_and_decode(self):
        import json
        import os
        from .harness import PYTHON_DIR
        with open(os.path.join(os.path.dirname(PYTHON_DIR), "test", "golden", "frames.json")) as fh:
            frames = {f["name"]: f for f in json.load(fh)}
        self.assertEqual(P.decode_status_query(bytes.fromhex(frames["status"]["payload_hex"])), (7, 3))
        query, report = P.decode_status_reply(bytes.fromhex(frames["status_reply"]["payload_hex"]))
        self.assertEqual(query, 7)
        self.assertEqual(report["streams"], {"3": "yimmo-app-1"})
        self.assertEqual(P.encode_status_reply(query, report), bytes.fromhex(frames["status_reply"]["payload_hex"]))
        with self.assertRaises(P.ProtocolError):
            P.decode_status_query(b"\0\0\0\1")


if __name__ == "__main__":
    unittest.main()
