"""Application errors and start_response validation (PEP 3333 "Error
Handling", "The start_response() Callable"; RFC 9110 5.5, RFC 9112 4)."""

import unittest

from .harness import HostTestCase, P


class Errors(HostTestCase):
    HOST_OPTIONS = {"threads": 2}

    def assertAborted(self, r):
        self.assertEqual(r.ended, "ABORT")
        self.assertNotIn(P.HEAD_END, [f[0] for f in r.frames])

    def test_exception_before_start_response_sends_abort_and_logs_the_traceback(self):
        r = self.get("/raise_before")
        self.assertEqual(r.types, ["ABORT"])
        self.assertEqual(r.abort_reason, "ZeroDivisionError: division by zero")
        self.assertTrue(self.host.wait_stderr("ERROR application error in GET /raise_before:\nTraceback"))

    def test_exception_after_start_response_but_before_a_body_sends_only_abort(self):
        r = self.get("/raise_after_start")
        self.assertEqual(r.types, ["ABORT"])
        self.assertIn("after start_response", r.abort_reason)

    def test_exception_mid_stream_sends_abort_after_data_and_close_is_called(self):
        tok = self.token()
        r = self.get("/closing?mode=raise_mid&tok=" + tok)
        self.assertEqual(r.types, ["HEAD", "DATA", "ABORT"])
        self.assertEqual(r.body, b"chunk0-chunk1-")
        self.assertIsNotNone(self.host.marker("closed-" + tok))

    def test_exception_on_the_first_iteration_sends_abort_and_close_is_called(self):
        tok = self.token()
        r = self.get("/closing?mode=raise_first&tok=" + tok)
        self.assertEqual(r.types, ["ABORT"])
        self.assertIsNotNone(self.host.marker("closed-" + tok))

    def test_exc_info_after_headers_were_sent_re_raises_and_aborts(self):
        tok = self.token()
        r = self.get("/exc_info_after?tok=" + tok)
        self.assertEqual(r.types, ["HEAD", "ABORT"])
        self.assertEqual(r.body, b"sent-")
        self.assertIn("late failure", r.abort_reason)
        self.assertIsNone(self.host.marker("not-reraised-" + tok))

    def test_second_start_response_without_exc_info_raises(self):
        r = self.get("/twice")
        self.assertEqual(r.types, ["ABORT"])
        self.assertIn("start_response", r.abort_reason)

    def test_bad_status_lines_abort_without_sending_a_head(self):
        for status in ("abc", "200", "200OK", "100 Continue", "199 Early", "600 Too High", "099 X",
                       "2x0 Bad", "200 OK\r\nX-Injected: yes", "200 OK\n", "200 O\x00K", "200 \u20ac"):
            with self.subTest(status=status):
                from urllib.parse import quote
                r = self.get("/status?s=" + quote(status))
                self.assertEqual(r.types, ["ABORT"])

    def test_bad_header_fields_raise_in_start_response_and_abort(self):
        for kind in ("bytes", "bytes_value", "crlf", "lf", "nul", "del", "nonlatin1", "name_space",
                     "name_colon", "empty_name", "not_tuple", "cl_text"):
            with self.subTest(kind=kind):
                r = self.get("/bad_header?kind=" + kind)
                self.assertEqual(r.types, ["ABORT"])
                self.assertNotIn("X-Injected", r.abort_reason)
                self.assertNotIn("\r", r.abort_reason)
                self.assertIsNotNone(self.host.marker("rejected-" + kind), "start_response did not raise")

    def test_app_returning_none_aborts(self):
        self.assertEqual(self.get("/none").types, ["ABORT"])

    def test_body_without_start_response_aborts(self):
        r = self.get("/no_start")
        self.assertEqual(r.types, ["ABORT"])
        self.assertIn("start_response", r.abort_reason)

    def test_str_body_chunk_aborts(self):
        r = self.get("/str_body")
        self.assertEqual(r.types, ["ABORT"])
        self.assertIn("bytes", r.abort_reason)

    def test_host_keeps_serving_after_application_errors(self):
        for path in ("/raise_before", "/none", "/twice", "/status?s=abc"):
            self.assertEqual(self.get(path).ended, "ABORT")
        self.assertEqual(self.get("/list").body, b"hello world")


if __name__ == "__main__":
    unittest.main()
