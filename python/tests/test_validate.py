"""start_response validation in isolation (python/yimmo_host/validate.py)."""

import unittest

from .harness import PYTHON_DIR  # noqa: F401  (puts yimmo_host on sys.path)
from yimmo_host.validate import check_headers


class Validate(unittest.TestCase):
    def test_valid_head_encodes_as_nul_separated_latin_1(self):
        head, cl = check_headers("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])
        self.assertEqual(head, b"200 OK\0Content-Type\0text/plain\0Content-Length\x0013")
        self.assertEqual(cl, 13)

    def test_content_length_is_found_in_any_case(self):
        self.assertEqual(check_headers("200 OK", [("content-LENGTH", "7")])[1], 7)
        self.assertIsNone(check_headers("200 OK", [])[1])
        self.assertEqual(check_headers("200 OK", [("Content-Length", "7"), ("Content-Length", "7")])[1], 7)

    def test_htab_obs_text_and_empty_values_are_allowed(self):
        head, _ = check_headers("200 Caf\xe9\tOK", [("X-A", "a\tb"), ("X-B", "\x80\xff\xa0"), ("X-C", "")])
        self.assertEqual(head, "200 Caf\xe9\tOK\0X-A\0a\tb\0X-B\0\x80\xff\xa0\0X-C\0".encode("latin-1"))

    def test_headers_may_be_a_tuple_and_items_lists(self):
        self.assertEqual(check_headers("204 No Content", (["X-A", "1"],))[0], b"204 No Content\0X-A\x001")

    def test_invalid_status_lines_raise(self):
        for status in ("abc", "200", "200OK", " 200 OK", "100 Continue", "199 X", "600 X", "20 OK",
                       "２00 OK", "200 OK\r\n", "200 O\0K", "200 \u20ac", b"200 OK", None, 200):
            with self.subTest(status=status):
                with self.assertRaises((TypeError, ValueError)):
                    check_headers(status, [])

    def test_invalid_header_fields_raise(self):
        bad = [
            [(b"X", "v")], [("X", b"v")], [("X", None)], [("X", 1)], [("", "v")], [("X Y", "v")],
            [("X:", "v")], [("X\r\n", "v")], [("\xe9", "v")], [("X", "a\r\nY: z")], [("X", "a\nb")],
            [("X", "a\rb")], [("X", "a\0b")], [("X", "a\x7fb")], [("X", "a\x1bb")], [("X", "\u20ac")],
            [("X", "\u2028")], [("Content-Length", "1x")], [("Content-Length", "-1")],
            [("Content-Length", "")], [("Content-Length", "\u0661")], [("Content-Length", "1"),
                                                                      ("Content-Length", "2")],
            ["XY"], [("X", "v", "w")], None, "X: v",
        ]
        for headers in bad:
            with self.subTest(headers=headers):
                with self.assertRaises((TypeError, ValueError)):
                    check_headers("200 OK", headers)

    def test_a_cached_name_or_status_does_not_let_a_bad_value_through(self):
        check_headers("200 OK", [("X-Cached", "fine")])
        with self.assertRaises(ValueError):
            check_headers("200 OK", [("X-Cached", "bad\r\nX: y")])


if __name__ == "__main__":
    unittest.main()
