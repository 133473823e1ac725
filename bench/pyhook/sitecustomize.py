"""cProfile hook for the benchmark's profile mode (bench/run.py --profile): nothing
happens unless YIMMO_BENCH_CPROFILE is set. Python imports `sitecustomize` at
start-up from sys.path, so putting this directory first on PYTHONPATH profiles a
process without changing its code (the yimmo host, or any other Python server).

Every thread gets its own cProfile.Profile timed by time.thread_time (CPU time of
that thread, so waiting in recv or on a lock costs nothing). SIGUSR1 clears all
profiles (end of the warm-up); SIGUSR2 writes each thread's stats (marshal, the
pstats format) to $YIMMO_BENCH_CPROFILE.<pid>.<n>.prof. Signals, not atexit: the
yimmo host leaves with os._exit().
"""
import os

_OUT = os.environ.get("YIMMO_BENCH_CPROFILE")
if _OUT:
    import cProfile
    import marshal
    import signal
    import threading
    import time

    _profiles = []

    def _start():
        p = cProfile.Profile(time.thread_time)
        _profiles.append(p)
        p.enable()  # replaces _first_event as this thread's profile function

    def _first_event(frame, event, arg):
        _start()

    def _clear(signum, frame):
        for p in list(_profiles):
            p.clear()

    def _dump(signum, frame):
        for n, p in enumerate(list(_profiles)):
            p.snapshot_stats()  # reads the counters without disabling the profiler
            if not p.stats:
                continue
            with open(f"{_OUT}.{os.getpid()}.{n}.prof", "wb") as f:
                marshal.dump(p.stats, f)

    threading.setprofile(_first_event)
    signal.signal(signal.SIGUSR1, _clear)
    signal.signal(signal.SIGUSR2, _dump)
    _start()
