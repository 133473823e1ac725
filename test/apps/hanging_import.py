"""An application whose import can hang, like one that connects to a
database at import time while the database is down.

While the file named by YIMMO_TEST_HANG_FILE exists, importing this module
waits (forever, unless the file goes away). /crash kills the host, so the
worker has to start a replacement, which then imports this module again.
"""
import os
import time

_flag = os.environ.get("YIMMO_TEST_HANG_FILE")
while _flag and os.path.exists(_flag):
    time.sleep(0.05)


def app(environ, start_response):
    if environ["PATH_INFO"] == "/crash":
        os._exit(1)
    body = ("pid %d" % os.getpid()).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
