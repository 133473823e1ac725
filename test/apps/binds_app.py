"""For test/server/binds.test.ts: who the client is on each kind of socket.

/peer          the peer and server fields of the environ, as JSON (a missing key is null)
/echo?TEXT     TEXT back
/big?kb=N      N KiB in one block with Content-Length (a direct write by the host)
/environ?NAME  os.environ.get(NAME), as text ("None" when unset)
"""
import json
import os

PEER_KEYS = ("REMOTE_ADDR", "REMOTE_PORT", "SERVER_NAME", "SERVER_PORT", "wsgi.url_scheme", "HTTP_HOST")


def app(environ, start_response):
    path = environ["PATH_INFO"]
    query = environ["QUERY_STRING"]
    if path == "/peer":
        body = json.dumps({k: environ.get(k) for k in PEER_KEYS}).encode()
    elif path == "/echo":
        body = query.encode("latin-1")
    elif path == "/big":
        size = int(query.split("=", 1)[1]) * 1024
        body = bytes(range(256)) * (size // 256)
    elif path == "/environ":
        body = str(os.environ.get(query)).encode()
    else:
        start_response("404 Not Found", [("Content-Length", "0")])
        return [b""]
    start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
    return [body]
