"""Hello after PACED_MS milliseconds (default 2) of either sleeping or computing, to set the request
rate without Django: PACED_MODE=sleep (default) waits in time.sleep (releases the GIL, leaves the
caches alone), PACED_MODE=spin busy-loops in Python (holds the GIL and churns a dict, as a page
render does). bench/wake_cost.py uses it to tell the rate's cost from the application's."""
import os
import time

BODY = b"Hello, World!"
SECONDS = float(os.environ.get("PACED_MS", "2")) / 1000
SPIN = os.environ.get("PACED_MODE", "sleep") == "spin"
KEYS = [str(i) * 8 for i in range(20000)]


def app(environ, start_response):
    if SPIN:
        end = time.perf_counter() + SECONDS
        table = {}
        i = 0
        while time.perf_counter() < end:
            table[KEYS[i % len(KEYS)]] = i
            i += 1
    else:
        time.sleep(SECONDS)
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))])
    return [BODY]


application = app
