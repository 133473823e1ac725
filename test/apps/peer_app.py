"""Reports who the application thinks the client is, as JSON.

For test/server/forwarded.test.ts, proxy-protocol.test.ts and
reverse-proxies.test.ts: the client address and port, the scheme, the
mount point, and the forwarding fields as they reached the application.
"""
import json

KEYS = ("REMOTE_ADDR", "REMOTE_PORT", "wsgi.url_scheme", "SCRIPT_NAME", "PATH_INFO", "RAW_URI", "SERVER_NAME",
        "SERVER_PORT", "HTTP_HOST", "HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_SSL",
        "HTTP_FORWARDED")


def app(environ, start_response):
    out = {k: environ.get(k) for k in KEYS}
    data = json.dumps(out).encode("utf-8")
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
