"""The app of test/server/logging.test.ts: writes to stderr, raises, sets headers."""
import sys
import time


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/stderr":
        sys.stderr.write("app line one\n")
        sys.stderr.write("app line two \"quoted\" \u2028 sep \x85 nel\n")
        sys.stderr.flush()
    elif path == "/raise":
        raise RuntimeError("raised on purpose")
    elif path == "/pid":
        return pid_app(environ, start_response)
    elif path == "/errors":
        environ["wsgi.errors"].write("via wsgi.errors\n")
    elif path == "/sleep":
        time.sleep(0.0035)  # a request of ~3.5 ms, for the access log's sub-millisecond durations
    body = b"ok " + path.encode("latin-1")
    start_response("200 OK", [("Content-Type", "text/plain"), ("X-Trace", "t-42"), ("Content-Length", str(len(body)))])
    return [body]


def pid_app(environ, start_response):
    import os
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
