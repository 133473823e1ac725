"""log.py: records for the worker to relay, or text lines when run by hand."""
import json
import os
import subprocess
import sys
import unittest

PYTHON_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def stderr_of(code):
    out = subprocess.run([sys.executable, "-c", "from yimmo_host import log\n" + code],
                         env=dict(os.environ, PYTHONPATH=PYTHON_DIR), stderr=subprocess.PIPE, timeout=30, check=True)
    return out.stderr


class LogRecordsTest(unittest.TestCase):
    def test_a_record_is_rs_json_newline_and_keeps_a_traceback_in_one_line(self):
        data = stderr_of("log.use_records(True)\nlog.error('failed:\\nTraceback \\u2028 \\x85 \"q\"')\nlog.debug('hidden')")
        lines = data.split(b"\n")
        self.assertEqual(lines[-1], b"")
        self.assertEqual(len(lines), 2, data)  # one record; DEBUG is below the default level
        self.assertTrue(lines[0].startswith(b"\x1e"))
        record = json.loads(lines[0][1:].decode("ascii"))  # ensure_ascii: bytes that cannot split a line
        self.assertEqual(record["l"], "ERROR")
        self.assertEqual(record["m"], "failed:\nTraceback \u2028 \x85 \"q\"")
        self.assertIsInstance(record["t"], int)
        self.assertIsInstance(record["p"], int)

    def test_without_records_a_line_is_in_the_text_format(self):
        data = stderr_of("log.error('plain')").decode("utf-8")
        self.assertRegex(data, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[\d+\] ERROR plain\n$")


if __name__ == "__main__":
    unittest.main()
