"""Frames never exceed 16 MiB (docs/protocol.md "Frame layout"): a response
head too large to frame fails that response with ABORT, refused at
start_response (PEP 3333: servers check headers there); the host, and every
other stream on it, carries on."""

import unittest

from .harness import HostTestCase, P


class ResponseHeadLimit(HostTestCase):
    HOST_OPTIONS = {"threads": 2}

    def test_a_head_over_the_limit_is_refused_with_abort_and_the_host_keeps_serving(self):
        slow = self.sid()
        self.host.request(slow, path="/sleep", query="t=0.5")
        tok = self.token()
        r = self.get("/huge_head?mib=17&tok=" + tok, timeout=20)
        self.assertEqual(r.types, ["ABORT"])
        self.assertIn("response head of", r.abort_reason)
        self.assertIsNotNone(self.host.marker("refused-" + tok), "start_response did not raise")
        self.assertEqual(self.host.response(slow).ended, "HEAD_END")
        self.assertEqual(self.get("/list").body, b"hello world")

    def test_a_head_just_under_the_limit_still_goes_out_in_one_frame(self):
        r = self.get("/huge_head?mib=7.9", timeout=20)
        self.assertEqual(r.ended, "HEAD_END")
        self.assertEqual(len(r.header("X-Huge")), int(7.9 * (1 << 20)))
        self.assertEqual(r.body, b"small body")


class WindowCap(HostTestCase):
    # A worker asking for a window larger than a frame could carry next to a
    # maximal head gets the cap: a whole body above it still arrives, split.
    HOST_OPTIONS = {"threads": 1, "response_window": 64 << 20}

    def test_the_response_window_is_capped_so_head_and_window_fit_one_frame(self):
        sid = self.sid()
        self.host.request(sid, path="/big", query="n=%d" % (6 << 20))
        first = self.host.frame_for(sid, 10)
        self.assertLessEqual(len(first[2]), P.MAX_PAYLOAD)
        self.assertLessEqual(len(first[2]), P.MAX_WINDOW + 4 + 64 * 1024)
        self.assertNotEqual(first[0], P.HEAD_END, "a body larger than the cap came whole")


if __name__ == "__main__":
    unittest.main()
