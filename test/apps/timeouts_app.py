"""Slow and stuck views for test/server/timeouts.test.ts.

/stuck?S   sleeps S seconds before answering (the request timeout's victim;
           the stack dump must show the marked line below)
/slow?S    sleeps S seconds, then answers (for the idle timeout)
/drip?N&G  streams N chunks, G seconds apart
/fast      answers at once
/echo      reads the whole body and sends it back

YIMMO_TEST_IMPORT_DELAY=S makes importing this module take S seconds, like
a large Django project, so a host restart takes noticeably long.
"""
import os
import time
from urllib.parse import parse_qs

time.sleep(float(os.environ.get("YIMMO_TEST_IMPORT_DELAY") or "0"))


def stuck(environ, start_response):
    seconds = float(environ["QUERY_STRING"] or "5")
    time.sleep(seconds)  # STUCK-HERE: the line the timeout's stack dump must show
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"woke up"]


def slow(environ, start_response):
    seconds = float(environ["QUERY_STRING"] or "2")
    time.sleep(seconds)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"slow done"]


def drip(environ, start_response):
    q = parse_qs(environ["QUERY_STRING"])
    n = int(q.get("n", ["3"])[0])
    gap = float(q.get("gap", ["0.5"])[0])
    start_response("200 OK", [("Content-Type", "text/plain")])

    def generate():
        for i in range(n):
            if i:
                time.sleep(gap)
            yield b"drop%d;" % i
    return generate()


def fast(environ, start_response):
    body = b"fast %d" % os.getpid()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def echo(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
    return [body]


ROUTES = {"/echo": echo, "/stuck": stuck, "/slow": slow, "/drip": drip, "/fast": fast}


def app(environ, start_response):
    handler = ROUTES.get(environ["PATH_INFO"])
    if handler is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    return handler(environ, start_response)
