"""Large bodies for test/server/backpressure.test.ts and the soak test.

/download?mb=N   N MiB in 64 KiB chunks from a generator, with Content-Length.
                 Chunk k is the 4-byte big-endian k followed by bytes 4..65535
                 of bytes(range(256)) * 256, so a client can check every byte
                 without keeping the body.
/upload?read=R&pause=P
                 reads wsgi.input R bytes at a time, sleeping P seconds after
                 each read (a slow consumer), and answers size and SHA-256.
/hello           a tiny response.
"""
import hashlib
import json
import time
from urllib.parse import parse_qs

CHUNK = 65536
BASE = bytes(range(256)) * (CHUNK // 256)


def download(environ, start_response, q):
    mb = int(q.get("mb", ["50"])[0])
    n = mb * (1024 * 1024 // CHUNK)
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(n * CHUNK))])

    def generate():
        tail = BASE[4:]
        for k in range(n):
            yield k.to_bytes(4, "big") + tail
    return generate()


def upload(environ, start_response, q):
    size = int(q.get("read", ["262144"])[0])
    pause = float(q.get("pause", ["0.01"])[0])
    stream = environ["wsgi.input"]
    digest = hashlib.sha256()
    total = 0
    while True:
        block = stream.read(size)
        if not block:
            break
        digest.update(block)
        total += len(block)
        if pause:
            time.sleep(pause)
    body = json.dumps({"size": total, "sha256": digest.hexdigest()}).encode()
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def hello(environ, start_response, q):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


ROUTES = {"/download": download, "/upload": upload, "/hello": hello}


def app(environ, start_response):
    handler = ROUTES.get(environ["PATH_INFO"])
    if handler is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    return handler(environ, start_response, parse_qs(environ["QUERY_STRING"]))
