"""One tiny WSGI app per behaviour, chosen by the first path segment.

Used by the integration tests in test/server/. Each function is a complete
PEP 3333 application; `app` dispatches to them.
"""
import json
import os
import sys
import threading
import time

STATE = os.environ.get("YIMMO_TEST_STATE", "/tmp/yimmo-test-state")
os.makedirs(STATE, exist_ok=True)


def mark(name):
    with open(os.path.join(STATE, name), "a") as f:
        f.write("1\n")


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"Hello, World!"]


def generator(environ, start_response):
    def body():
        start_response("200 OK", [("Content-Type", "text/plain")])  # lazily, on first iteration
        for i in range(3):
            yield b"part%d;" % i
    return body()


def write_twice(environ, start_response):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"one;")
    write(b"two;")
    return [b"three"]


def exc_info(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    try:
        raise ValueError("replace me")
    except ValueError:
        start_response("503 Service Unavailable", [("Content-Type", "text/plain"), ("X-Replaced", "yes")], sys.exc_info())
    return [b"replaced"]


def fail_before(environ, start_response):
    raise RuntimeError("secret detail that must not reach the client")


class Closing:
    """An iterable that records close() under a token taken from the query string."""

    def __init__(self, token, chunks, delay=0.0, fail_after=None):
        self.token, self.chunks, self.delay, self.fail_after = token, chunks, delay, fail_after

    def __iter__(self):
        for i, chunk in enumerate(self.chunks):
            if self.fail_after is not None and i == self.fail_after:
                raise RuntimeError("failed mid-stream")
            if self.delay:
                time.sleep(self.delay)
            yield chunk

    def close(self):
        mark("closed-" + self.token)


def fail_after(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return Closing(environ["QUERY_STRING"], [b"a" * 10, b"b" * 10, b"c"], fail_after=2)


def slow_stream(environ, start_response):
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return Closing(environ["QUERY_STRING"], [b"x" * 65536] * 200, delay=0.02)


def echo(environ, start_response):
    body = environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
    return [body]


def environ_dump(environ, start_response):
    out = {k: v for k, v in environ.items() if isinstance(v, (str, bool, int, tuple))}
    body = json.dumps(out).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def sleep(environ, start_response):
    seconds = float(environ["QUERY_STRING"] or "1")
    time.sleep(seconds)
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"slept %s in %d" % (environ["QUERY_STRING"].encode(), os.getpid())]


def pid(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [str(os.getpid()).encode()]


def cookies(environ, start_response):
    start_response("200 OK", [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Content-Length", "2")])
    return [b"ok"]


def no_content(environ, start_response):
    start_response("204 No Content", [("Content-Length", "0")])
    return [b"this must not be sent"]


def crash(environ, start_response):
    os._exit(1)  # the whole host process dies mid-request


def file(environ, start_response):
    path = os.path.join(STATE, "file-" + environ["QUERY_STRING"])
    with open(path, "wb") as f:
        f.write(bytes(range(256)) * 4096)
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    return environ["wsgi.file_wrapper"](open(path, "rb"))


ROUTES = {name: fn for name, fn in globals().items() if callable(fn) and not name.startswith("_") and name not in ("mark", "Closing", "json", "os", "sys", "time", "threading")}


def app(environ, start_response):
    name = environ["PATH_INFO"].strip("/").split("/")[0].replace("-", "_")
    handler = ROUTES.get(name)
    if handler is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no such behaviour"]
    return handler(environ, start_response)
