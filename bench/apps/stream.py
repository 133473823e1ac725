"""Streams a 64 KiB body as a generator of 16 x 4 KiB chunks, without Content-Length
(so HTTP/1.1 servers send it chunked; each yield is forwarded as produced)."""

CHUNK = b"s" * 4096
HEADERS = [("Content-Type", "application/octet-stream")]


def app(environ, start_response):
    start_response("200 OK", list(HEADERS))
    return (CHUNK for _ in range(16))


application = app
