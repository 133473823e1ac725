"""Responses at the bridge's frame limit (16 MiB per frame).

/huge-head   a response head of about 17 MiB (one header field): too large
             for a frame, so this response alone must fail with 500
/slow?S      answers after S seconds (a request in flight on the same host)
/pid         the host's pid
"""
import os
import time


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/huge-head":
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-Huge", "h" * (17 * 1024 * 1024))])
        return [b"never sent"]
    if path == "/slow":
        time.sleep(float(environ["QUERY_STRING"] or "1"))
    body = ("%s from %d" % (path, os.getpid())).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
