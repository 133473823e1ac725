"""Large bodies for test/server/backpressure.test.ts and the soak test.

/download?mb=N   N MiB in 64 KiB chunks from a generator, with Content-Length.
                 Chunk k is the 4-byte big-endian k followed by bytes 4..65535
                 of bytes(range(256)) * 256, so a client can check every byte
                 without keeping the body.
/upload?read=R&pause=P
                 reads wsgi.input R bytes at a time, sleeping P seconds after
                 each read (a slow consumer), and answers size and SHA-256.
/whole?kb=N&cl=D&status=S
                 N KiB (default 1024) as one bytes object in a list: the
                 shape the host writes to the client directly. Byte i is
                 (i * 7 + i // 4096) & 0xff. cl=D declares a Content-Length
                 D bytes off the real length; status=S answers S.
/file?kb=N       the same N KiB from a file, through wsgi.file_wrapper, with
                 its Content-Length.
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


def whole_body(size):
    # Block k of 4096 bytes is the first block with k added to every byte.
    first = bytes((j * 7) & 0xFF for j in range(4096))
    blocks = [first.translate(bytes((b + k) & 0xFF for b in range(256))) for k in range(256)]
    count = -(-size // 4096)
    return b"".join(blocks[k % 256] for k in range(count))[:size]


_WHOLE = {}


def whole(environ, start_response, q):
    size = int(q.get("kb", ["1024"])[0]) * 1024
    body = _WHOLE.get(size)
    if body is None:
        body = _WHOLE[size] = whole_body(size)
    headers = [("Content-Type", "application/octet-stream")]
    if "cl" in q:
        headers.append(("Content-Length", str(size + int(q["cl"][0]))))
    start_response(q.get("status", ["200 OK"])[0], headers)
    return [body]


def file(environ, start_response, q):
    import tempfile
    size = int(q.get("kb", ["1024"])[0]) * 1024
    f = tempfile.TemporaryFile()
    f.write(whole_body(size))
    f.seek(0)
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(size))])
    return environ["wsgi.file_wrapper"](f, 65536)


def hello(environ, start_response, q):
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    return [b"hello"]


ROUTES = {"/download": download, "/upload": upload, "/whole": whole, "/file": file, "/hello": hello}


def app(environ, start_response):
    handler = ROUTES.get(environ["PATH_INFO"])
    if handler is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    return handler(environ, start_response, parse_qs(environ["QUERY_STRING"]))
