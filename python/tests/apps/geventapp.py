"""An application that monkey-patches with gevent at import, as gevent
users do; the host must then run its threads as greenlets."""

from gevent import monkey

monkey.patch_all()

import json  # noqa: E402
import socket  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402


def app(environ, start_response):
    started = time.time()
    if environ["PATH_INFO"] == "/sleep":
        time.sleep(0.5)  # cooperative: other greenlets run meanwhile
    elif environ["PATH_INFO"] == "/block":
        threading.Event().wait()
    elif environ["PATH_INFO"] == "/echo":
        body = environ["wsgi.input"].read()
        start_response("200 OK", [])
        return [body]
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps({
        "started": started,
        "socket": socket.socket.__module__,
        "thread": threading.current_thread().__class__.__module__,
    }).encode()]
