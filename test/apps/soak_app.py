"""The application behind test/soak/soak.ts (long mixed load).

GET  /hello                 a fixed 13-byte body
POST /echo                  the request body back (Content-Length or chunked
                            request), with Content-Length
GET  /stream?n=N&seed=S     N chunks from a generator (sent chunked); chunk i
                            is "S:i:" followed by (S * 31 + i * 97) % 5000
                            bytes of chr(97 + i % 26)
GET  /download?mb=N         N MiB in 64 KiB chunks, Content-Length (for
                            clients that leave mid-response)
GET  /whole?mb=N            N MiB as one bytes object, Content-Length (the
                            host writes it to the client directly)
GET  /slow?ms=N             answers after N milliseconds
"""
import time
from urllib.parse import parse_qs

CHUNK = 65536
BASE = bytes(range(256)) * (CHUNK // 256)


def _q(environ, name, default):
    return int(parse_qs(environ["QUERY_STRING"]).get(name, [default])[0])


def app(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/hello":
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "13")])
        return [b"Hello, World!"]
    if path == "/echo":
        body = environ["wsgi.input"].read()
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
        return [body]
    if path == "/stream":
        n = _q(environ, "n", "10")
        seed = _q(environ, "seed", "0")
        start_response("200 OK", [("Content-Type", "application/octet-stream")])

        def generate():
            for i in range(n):
                yield b"%d:%d:" % (seed, i) + bytes([97 + i % 26]) * ((seed * 31 + i * 97) % 5000)
        return generate()
    if path == "/download":
        n = _q(environ, "mb", "4") * (1024 * 1024 // CHUNK)
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(n * CHUNK))])

        def chunks():
            tail = BASE[4:]
            for k in range(n):
                yield k.to_bytes(4, "big") + tail
        return chunks()
    if path == "/whole":
        body = BASE * (_q(environ, "mb", "4") * (1024 * 1024 // CHUNK))
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
        return [body]
    if path == "/slow":
        time.sleep(_q(environ, "ms", "200") / 1000.0)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "4")])
        return [b"slow"]
    start_response("404 Not Found", [("Content-Type", "text/plain"), ("Content-Length", "9")])
    return [b"not found"]
