"""Responses: start_response, write(), the iterable, HEAD_END vs HEAD +
DATA + END, close() (PEP 3333 "The start_response() Callable", "Buffering
and Streaming"; docs/protocol.md "Frames from host to worker")."""

import unittest

from .harness import HostTestCase, P


class Output(HostTestCase):
    HOST_OPTIONS = {"threads": 2}

    def test_list_app_gets_one_head_end_frame_with_the_joined_body(self):
        r = self.get("/list")
        self.assertEqual(r.types, ["HEAD_END"])
        self.assertEqual(r.status, "200 OK")
        self.assertEqual(r.headers, [("Content-Type", "text/plain")])
        self.assertEqual(r.body, b"hello world")

    def test_generator_app_gets_head_then_data_then_end(self):
        r = self.get("/gen")
        self.assertEqual(r.types, ["HEAD", "DATA", "DATA", "END"])
        self.assertEqual(r.body, b"onetwothree")
        self.assertEqual(P.decode_head_payload(r.frames[0][1])[1], b"one")

    def test_write_twice_then_iterable_sends_in_order(self):
        r = self.get("/write")
        self.assertEqual(r.types, ["HEAD", "DATA", "DATA", "END"])
        self.assertEqual(r.body, b"first-second-third")
        self.assertEqual(P.decode_head_payload(r.frames[0][1])[1], b"first-")

    def test_start_response_called_lazily_inside_the_generator_works(self):
        r = self.get("/lazy")
        self.assertEqual(r.status, "201 Created")
        self.assertEqual(r.headers, [("X-Lazy", "1")])
        self.assertEqual(r.body, b"lazy")
        self.assertEqual(r.ended, "END")

    def test_empty_chunks_are_skipped_never_sent_as_frames(self):
        r = self.get("/empties")
        self.assertEqual(r.types, ["HEAD", "DATA", "END"])
        self.assertEqual(r.body, b"ab")
        for ftype, payload in r.frames:
            if ftype == P.DATA:
                self.assertTrue(payload)

    def test_exc_info_before_anything_is_sent_replaces_status_and_headers(self):
        r = self.get("/exc_info_replace")
        self.assertEqual(r.types, ["HEAD_END"])
        self.assertEqual(r.status, "500 Internal Server Error")
        self.assertEqual(r.headers, [("X-Replaced", "yes")])
        self.assertEqual(r.body, b"error page")

    def test_valid_unusual_status_and_header_values_pass_unchanged(self):
        r = self.get("/good_header")
        self.assertEqual(r.status, "299 Custom \t Reason")
        self.assertEqual(r.headers, [("X-Tab", "a\tb"), ("X-Latin1", "caf\xe9"), ("Set-Cookie", "a=1"),
                                     ("Set-Cookie", "b=2"), ("X-Empty", "")])

    def test_first_chunk_that_completes_content_length_becomes_one_head_end(self):
        r = self.get("/cl_first")
        self.assertEqual(r.types, ["HEAD_END"])
        self.assertEqual(r.body, b"hello")

    def test_iteration_stops_once_the_declared_content_length_was_sent(self):
        tok = self.token()
        r = self.get("/cl_gen?tok=" + tok)
        self.assertEqual(r.body, b"hello")
        self.assertEqual(r.ended, "END")
        self.assertIsNone(self.host.marker("ran-past-cl-" + tok))
        self.assertIsNotNone(self.host.marker("gen-closed-" + tok))

    def test_close_is_called_before_the_last_frame_of_a_streamed_response(self):
        tok = self.token()
        sid = self.sid()
        self.host.request(sid, path="/closing", query="mode=slow&delay=0.1&tok=" + tok)
        self.assertEqual(self.host.frame_for(sid)[0], P.HEAD)
        self.assertIsNone(self.host.marker("closed-" + tok))  # two slow chunks to go
        while True:
            ftype, _, _ = self.host.frame_for(sid)
            if ftype in (P.END, P.HEAD_END, P.ABORT):
                break
        self.assertEqual(ftype, P.END)
        self.assertIsNotNone(self.host.marker("closed-" + tok))  # already there when END arrived

    def test_list_subclass_with_close_gets_head_end_after_close(self):
        tok = self.token()
        r = self.get("/closing?mode=list&tok=" + tok)
        self.assertEqual(r.types, ["HEAD_END"])
        self.assertEqual(r.body, b"chunk0-chunk1-chunk2-")
        self.assertIsNotNone(self.host.marker("closed-" + tok))

    def test_head_request_sends_headers_only_and_close_is_called(self):
        tok = self.token()
        r = self.get("/closing?tok=" + tok, method="HEAD")
        self.assertEqual(r.types, ["HEAD_END"])
        self.assertEqual(r.status, "200 OK")
        self.assertEqual(r.body, b"")
        self.assertIsNotNone(self.host.marker("closed-" + tok))
        self.assertIsNone(self.host.marker("chunk-" + tok))  # headers were known: nothing iterated

    def test_head_request_iterates_only_until_lazy_start_response(self):
        tok = self.token()
        r = self.get("/closing?mode=start_lazy&n=5&tok=" + tok, method="HEAD")
        self.assertEqual(r.types, ["HEAD_END"])
        self.assertEqual(r.status, "200 OK")
        self.assertEqual(r.body, b"")
        self.assertEqual(self.host.marker("chunk-" + tok), "0\n")
        self.assertIsNotNone(self.host.marker("closed-" + tok))

    def test_head_request_discards_write_output(self):
        r = self.get("/write", method="HEAD")
        self.assertEqual(r.types, ["HEAD_END"])
        self.assertEqual(r.body, b"")

    def test_frames_of_concurrent_streams_interleave_but_each_stream_is_whole(self):
        sids = [self.sid() for _ in range(20)]
        for sid in sids:
            self.host.request(sid, path="/gen" if sid % 2 else "/list")
        for sid in sids:
            r = self.host.response(sid)
            self.assertEqual(r.body, b"onetwothree" if sid % 2 else b"hello world")


if __name__ == "__main__":
    unittest.main()
