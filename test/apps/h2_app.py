"""Views for the HTTP/2 tests (test/server/http2*.test.ts).

/echo             the request as the app sees it, as JSON (reads the whole body)
/stream?n=N       N chunks from a generator (no Content-Length)
/download?mb=N    N MiB from a generator in 64 KiB chunks
/upload           reads wsgi.input in 64 KiB reads; answers size and sha256
/sleep?s=S        answers after S seconds
/crash            the host process dies
/hop              sets hop-by-hop fields, which must not reach an HTTP/2 client
/short            declares Content-Length 10, sends 5 bytes
/file             this file through wsgi.file_wrapper
/cookies          one response with two Set-Cookie fields
/whole?kb=N       N KiB as one bytes object (a direct write on plain HTTP/1.1 from 128 KiB; never on HTTP/2)
/head-only        a HEAD-aware body
"""
import hashlib
import json
import os
import time


def echo(environ, start_response):
    body = environ["wsgi.input"].read()
    out = {
        "method": environ["REQUEST_METHOD"],
        "path_info": environ["PATH_INFO"],
        "query": environ["QUERY_STRING"],
        "protocol": environ["SERVER_PROTOCOL"],
        "scheme": environ["wsgi.url_scheme"],
        "remote_addr": environ.get("REMOTE_ADDR"),
        "server_name": environ["SERVER_NAME"],
        "server_port": environ["SERVER_PORT"],
        "file_wrapper": "wsgi.file_wrapper" in environ,
        "headers": {k: v for k, v in environ.items() if k.startswith("HTTP_") or k in ("CONTENT_TYPE", "CONTENT_LENGTH")},
        "body": body.decode("latin-1"),
    }
    data = json.dumps(out).encode("utf-8")
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def query_int(environ, default):
    value = environ["QUERY_STRING"].partition("=")[2]
    return int(value) if value else default


def stream(environ, start_response):
    n = query_int(environ, 5)
    start_response("200 OK", [("Content-Type", "text/plain")])

    def generate():
        for i in range(n):
            yield b"chunk%d;" % i
            time.sleep(0.01)
    return generate()


def download(environ, start_response):
    mb = query_int(environ, 4)
    start_response("200 OK", [("Content-Type", "application/octet-stream")])
    chunk = b"x" * 65536

    def generate():
        for _ in range(mb * 16):
            yield chunk
    return generate()


def upload(environ, start_response):
    digest = hashlib.sha256()
    size = 0
    stream_ = environ["wsgi.input"]
    while True:
        piece = stream_.read(65536)
        if not piece:
            break
        size += len(piece)
        digest.update(piece)
    data = json.dumps({"size": size, "sha256": digest.hexdigest()}).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [data]


def sleep(environ, start_response):
    time.sleep(float(environ["QUERY_STRING"].partition("=")[2] or "1"))
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"slept"]


def crash(environ, start_response):
    os._exit(7)


def hop(environ, start_response):
    start_response("200 OK", [("Connection", "close"), ("Keep-Alive", "timeout=5"), ("Transfer-Encoding", "chunked"),
                              ("Upgrade", "h2c"), ("X-Kept", "yes")])
    return [b"hop"]


def short(environ, start_response):
    start_response("200 OK", [("Content-Length", "10")])
    return [b"12345"]


def file(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/x-python")])
    return environ["wsgi.file_wrapper"](open(__file__, "rb"), 8192)


def whole(environ, start_response):
    kb = query_int(environ, 512)
    body = bytes(range(256)) * (kb * 4)
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
    return [body]


def cookies(environ, start_response):
    start_response("200 OK", [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Content-Type", "text/plain")])
    return [b"cookies"]


ROUTES = {"/echo": echo, "/stream": stream, "/download": download, "/upload": upload, "/sleep": sleep,
          "/crash": crash, "/hop": hop, "/short": short, "/file": file, "/cookies": cookies, "/whole": whole}


def app(environ, start_response):
    handler = ROUTES.get(environ["PATH_INFO"])
    if handler is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    return handler(environ, start_response)
