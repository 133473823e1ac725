"""For test/python_matrix.py: a stdlib-only app that says which interpreter runs it."""
import json
import sys


def app(environ, start_response):
    body = json.dumps({
        "version": list(sys.version_info[:3]),
        "executable": sys.executable,
        "multithread": environ["wsgi.multithread"],
    }).encode("utf-8")
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
