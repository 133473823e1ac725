"""Echoes the request as the application sees it, as JSON.

For test/server/corpus-live.test.ts and test/server/limits.test.ts: the
method, the decoded and raw path, the query, the protocol, every CGI/HTTP
variable from the head, and the whole body (latin-1, so any byte survives
the JSON round trip).
"""
import json


def app(environ, start_response):
    body = environ["wsgi.input"].read()
    out = {
        "method": environ["REQUEST_METHOD"],
        "path_info": environ["PATH_INFO"],
        "raw_uri": environ.get("RAW_URI"),
        "query": environ["QUERY_STRING"],
        "protocol": environ["SERVER_PROTOCOL"],
        "server_name": environ["SERVER_NAME"],
        "server_port": environ["SERVER_PORT"],
        "headers": {k: v for k, v in environ.items() if k.startswith("HTTP_") or k in ("CONTENT_TYPE", "CONTENT_LENGTH")},
        "body": body.decode("latin-1"),
    }
    data = json.dumps(out).encode("utf-8")
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
