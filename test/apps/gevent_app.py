"""A gevent application for test/server/gevent.test.ts.

It monkey-patches at import, as gevent apps do, so the host's application
"threads" are greenlets and time.sleep() / gevent.sleep() yield to the others.
"""
from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import os  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402


def app(environ, start_response):
    path = environ["PATH_INFO"]
    seconds = float(environ.get("QUERY_STRING") or "0.5")
    if path == "/gsleep":
        gevent.sleep(seconds)
        body = b"gevent.sleep done"
    elif path == "/tsleep":
        time.sleep(seconds)  # patched: cooperative
        body = b"time.sleep done"
    elif path == "/echo":
        body = environ["wsgi.input"].read()
    elif path == "/big":
        body = b"b" * (int(environ.get("QUERY_STRING") or "1") << 20)
    elif path == "/info":
        body = json.dumps({
            "socket_patched": monkey.is_module_patched("socket"),
            "threading_patched": monkey.is_module_patched("threading"),
            "time_patched": monkey.is_module_patched("time"),
            "greenlet_type": type(gevent.getcurrent()).__name__,
            "thread_name": threading.current_thread().name,
            "multithread": environ["wsgi.multithread"],
            "pid": os.getpid(),
        }).encode()
    elif path == "/stream":
        def generate():
            for i in range(5):
                gevent.sleep(0.05)
                yield b"g%d;" % i
        start_response("200 OK", [("Content-Type", "text/plain")])
        return generate()
    else:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
