"""The frame codec against the golden frames both implementations share
(docs/protocol.md "Golden frames")."""

import json
import os
import unittest

from .harness import P, PYTHON_DIR


def repo_root():
    path = PYTHON_DIR
    while True:
        if os.path.exists(os.path.join(path, "package.json")):
            return path
        parent = os.path.dirname(path)
        if parent == path:
            raise RuntimeError("package.json not found above %s" % PYTHON_DIR)
        path = parent


def golden():
    with open(os.path.join(repo_root(), "test", "golden", "frames.json")) as fh:
        return {f["name"]: f for f in json.load(fh)}


class GoldenFrames(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.frames = golden()

    def test_every_golden_frame_decodes_to_its_fields_and_re_encodes_byte_for_byte(self):
        self.assertTrue(self.frames)
        for name, f in self.frames.items():
            with self.subTest(frame=name):
                raw = bytes.fromhex(f["hex"])
                frames, rest = P.decode_frames(raw)
                self.assertEqual(rest, b"")
                self.assertEqual(len(frames), 1)
                ftype, stream, payload = frames[0]
                self.assertEqual(ftype, f["type"])
                self.assertEqual(stream, f["stream"])
                self.assertEqual(payload, bytes.fromhex(f["payload_hex"]))
                self.assertEqual(P.encode_frame(ftype, stream, payload), raw)
                self.assertTrue(name.upper().startswith(P.NAMES[ftype]))

    def test_all_golden_frames_concatenated_decode_in_one_pass(self):
        raw = b"".join(bytes.fromhex(f["hex"]) for f in self.frames.values())
        frames, rest = P.decode_frames(raw)
        self.assertEqual(rest, b"")
        self.assertEqual([f[0] for f in frames], [f["type"] for f in self.frames.values()])

    def test_golden_hello_is_what_the_host_encodes_for_the_same_values(self):
        hello = {"protocol": 1, "pid": 42, "python": "3.11.2", "executable": "/usr/bin/python3", "threads": 2}
        payload = json.dumps(hello, separators=(",", ":")).encode()
        self.assertEqual(P.encode_frame(P.HELLO, 0, payload), bytes.fromhex(self.frames["hello"]["hex"]))

    def test_golden_post_request_head_decodes_into_its_fields_and_pairs(self):
        payload = bytes.fromhex(self.frames["request_post_body_continue"]["payload_hex"])
        fields = P.decode_request_head(payload)
        self.assertEqual(fields[:10], ["POST", "/upload", "", "HTTP/1.1", "::1", "1234", "example.com",
                                       "443", "https", "bc"])
        self.assertEqual(list(zip(fields[10::2], fields[11::2])),
                         [("CONTENT_TYPE", "text/plain"), ("CONTENT_LENGTH", "5"), ("HTTP_X_LATIN", "\xe9")])
        self.assertEqual(P.encode_request_head(*fields[:10], pairs=zip(fields[10::2], fields[11::2])), payload)

    def test_golden_get_request_head_decodes_into_its_fields_and_pairs(self):
        payload = bytes.fromhex(self.frames["request_get"]["payload_hex"])
        fields = P.decode_request_head(payload)
        self.assertEqual(fields[:10], ["GET", "/a%20b", "x=1", "HTTP/1.1", "127.0.0.1", "54321",
                                       "localhost", "8081", "http", ""])
        self.assertEqual(list(zip(fields[10::2], fields[11::2])),
                         [("HTTP_HOST", "localhost:8081"), ("HTTP_ACCEPT", "*/*")])

    def test_golden_heads_decode_into_status_headers_and_body(self):
        head, body = P.decode_head_payload(bytes.fromhex(self.frames["head"]["payload_hex"]))
        self.assertEqual(P.decode_response_head(head), ("200 OK", [("Content-Type", "text/plain")]))
        self.assertEqual(body, b"Hello")
        self.assertEqual(P.encode_head_frame(P.HEAD, 1, head, body), bytes.fromhex(self.frames["head"]["hex"]))
        head, body = P.decode_head_payload(bytes.fromhex(self.frames["head_end"]["payload_hex"]))
        status, headers = P.decode_response_head(head)
        self.assertEqual(status, "404 Not Found")
        self.assertEqual(headers, [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")])
        self.assertEqual(body, b"")
        self.assertEqual(P.encode_response_head(status, headers), head)
        self.assertEqual(P.encode_head_frame(P.HEAD_END, 0xFFFFFFFF, head),
                         bytes.fromhex(self.frames["head_end"]["hex"]))

    def test_golden_file_credit_window_and_file_done_payloads_decode(self):
        self.assertEqual(P.decode_file_payload(bytes.fromhex(self.frames["file"]["payload_hex"])),
                         (4096, P.TO_EOF, "/proc/42/fd/9"))
        self.assertEqual(P.encode_file_payload(4096, P.TO_EOF, "/proc/42/fd/9"),
                         bytes.fromhex(self.frames["file"]["payload_hex"]))
        self.assertEqual(P.u32(bytes.fromhex(self.frames["credit"]["payload_hex"])), 1 << 20)
        self.assertEqual(P.u32(bytes.fromhex(self.frames["window"]["payload_hex"])), 65536)
        self.assertEqual(bytes.fromhex(self.frames["file_done"]["payload_hex"]), b"\x01")


    def test_golden_direct_frames_encode_and_decode(self):
        head = b"200 OK\0Content-Type\0application/octet-stream"
        self.assertEqual(P.encode_direct_frame(5, head, 1 << 20), bytes.fromhex(self.frames["direct"]["hex"]))
        cid, http_head = P.decode_direct_go(bytes.fromhex(self.frames["direct_go"]["payload_hex"]))
        self.assertEqual(cid, 3)
        self.assertTrue(bytes(http_head).startswith(b"HTTP/1.1 200 OK\r\n"))
        self.assertEqual(P.u32(bytes.fromhex(self.frames["forget"]["payload_hex"])), 3)


class Codec(unittest.TestCase):
    def test_an_incomplete_frame_is_left_for_the_next_read(self):
        raw = P.encode_frame(P.DATA, 3, b"hello")
        for cut in range(len(raw)):
            frames, rest = P.decode_frames(raw[:cut])
            self.assertEqual(frames, [])
            self.assertEqual(rest, raw[:cut])

    def test_a_length_above_16_mib_is_a_protocol_error(self):
        raw = P.HEADER.pack(P.MAX_PAYLOAD + 1, P.DATA, 1)
        with self.assertRaises(P.ProtocolError):
            P.decode_frames(raw)
        frames, rest = P.decode_frames(P.HEADER.pack(P.MAX_PAYLOAD, P.DATA, 1))
        self.assertEqual((frames, len(rest)), ([], 9))

    def test_an_unknown_frame_type_is_a_protocol_error(self):
        with self.assertRaises(P.ProtocolError):
            P.decode_frames(P.encode_frame(0x7F, 1, b""))
        with self.assertRaises(P.ProtocolError):
            P.decode_frames(P.encode_frame(P.HEAD, 1, b"\0\0\0\0"), P.WORKER_TO_HOST)

    def test_a_request_head_with_an_odd_pair_count_is_a_protocol_error(self):
        with self.assertRaises(P.ProtocolError):
            P.decode_request_head(b"GET\0/\0\0HTTP/1.1\0a\0" + b"1\0s\0" + b"80\0http\0\0HTTP_X")
        with self.assertRaises(P.ProtocolError):
            P.decode_request_head(b"GET\0/")
