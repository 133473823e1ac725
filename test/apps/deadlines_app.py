"""Views for test/server/deadlines.test.ts and pipelining.test.ts: who a
connection waits on (the client, the app, the client reading) and what is
left behind when a wait ends early.

/fast                 answers at once, with a Content-Length
/download?mb=N        N MiB streamed from a generator in 64 KiB chunks (no Content-Length)
/whole?kb=N           N KiB as one bytes object (a direct write when >= 128 KiB)
/read-slowly?first=B&work=S
                      reads B bytes of the body, works S seconds, reads the rest,
                      answers the total size
/stuck-close?S        sleeps S seconds, then returns an iterable whose close()
                      prints "CLOSED <query>" on stderr
/drip-close?S         sends one chunk, sleeps S seconds, sends more; close()
                      prints "CLOSED <query>" on stderr
/fail-after           sends one chunk, then raises
/crash                the host process dies
"""
import os
import sys
import time

CHUNK = b"x" * 65536


def fast(environ, start_response):
    body = b"fast"
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


def download(environ, start_response):
    mb = int(environ["QUERY_STRING"].partition("=")[2] or "4")
    start_response("200 OK", [("Content-Type", "application/octet-stream")])

    def generate():
        for _ in range(mb * 16):
            yield CHUNK
    return generate()


def whole(environ, start_response):
    kb = int(environ["QUERY_STRING"].partition("=")[2] or "256")
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return [b"w" * (kb * 1024)]


def read_slowly(environ, start_response):
    q = dict(part.split("=", 1) for part in environ["QUERY_STRING"].split("&") if "=" in part)
    stream = environ["wsgi.input"]
    total = len(stream.read(int(q.get("first", "65536"))))
    time.sleep(float(q.get("work", "2")))
    while True:
        block = stream.read(65536)
        if not block:
            break
        total += len(block)
    body = b"%d" % total
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


class Closing:
    """An iterable whose close() says so on stderr (the server's log)."""

    def __init__(self, token, first, delay):
        self.token, self.first, self.delay = token, first, delay

    def __iter__(self):
        if self.first:
            yield b"first;"
        time.sleep(self.delay)
        for _ in range(64):
            yield CHUNK

    def close(self):
        sys.stderr.write("CLOSED %s\n" % self.token)
        sys.stderr.flush()


def stuck_close(environ, start_response):
    seconds = float(environ["QUERY_STRING"] or "2")
    time.sleep(seconds)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return Closing(environ["QUERY_STRING"], False, 0)


def drip_close(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return Closing(environ["QUERY_STRING"], True, float(environ["QUERY_STRING"] or "2"))


def fail_after(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])

    def generate():
        yield b"partial;"
        time.sleep(0.2)
        raise RuntimeError("failed mid-stream")
    return generate()


def crash(environ, start_response):
    os._exit(1)


ROUTES = {
    "/fast": fast, "/download": download, "/whole": whole, "/read-slowly": read_slowly,
    "/stuck-close": stuck_close, "/drip-close": drip_close, "/fail-after": fail_after,
    "/crash": crash,
}


def app(environ, start_response):
    handler = ROUTES.get(environ["PATH_INFO"])
    if handler is None:
        start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
        return [b"not found"]
    return handler(environ, start_response)
