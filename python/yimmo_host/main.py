"""Host entry point: options, application, fd 3, HELLO, threads, reader.

Order matters (docs/protocol.md "Starting up"): the application is imported
BEFORE the socket is opened and before any thread, lock or queue of ours
exists, so an application that calls gevent.monkey.patch_all() at import
gets a cooperative socket and greenlets for threads. Only modules that
create nothing at import time are imported above main().
"""

import json
import os
import signal
import sys

from . import log
from .app import LoadError, load
from .protocol import MAX_WINDOW

BRIDGE_FD = 3
EXIT_USAGE = 2       # bad options or no fd 3: the worker's bug
EXIT_LOAD_ERROR = 3  # the supervisor stops instead of restarting


def _die_with_parent():
    # Belt and braces on Linux: the socket's EOF already ends us, but a host
    # stuck in a C extension never reads it; PR_SET_PDEATHSIG still does.
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


def _options():
    try:
        opts = json.loads(sys.argv[1])
        if not isinstance(opts, dict):
            raise ValueError("not a JSON object")
        return {
            "protocol": int(opts.get("protocol", 1)),
            "app": str(opts["app"]),
            "threads": max(1, int(opts.get("threads", 1))),
            "multiprocess": bool(opts.get("multiprocess", False)),
            "log_level": str(opts.get("log_level", "NOTICE")),
            "log_records": bool(opts.get("log_records", False)),
            "request_window": max(1, int(opts.get("request_window", 1 << 20))),
            # Capped so that a HEAD frame (head + one window of body) always fits in a frame.
            "response_window": min(MAX_WINDOW, max(1, int(opts.get("response_window", 1 << 20)))),
            # Seconds a direct write waits for a client that accepts nothing; 0 = no limit.
            "direct_timeout": max(0.0, float(opts.get("direct_timeout", 60))),
            # --reload: list the app's Python files in HELLO (modules.py).
            "report_modules": bool(opts.get("report_modules", False)),
        }
    except (IndexError, KeyError, TypeError, ValueError) as exc:
        log.fatal("yimmo host: bad options %r: %s" % (sys.argv[1:2], exc))
        os._exit(EXIT_USAGE)


def _monkey_patched():
    """Whether the application made threads cooperative (gevent, eventlet)."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None:
        try:
            if monkey.is_module_patched("threading"):
                return True
        except Exception:
            return True
    return "eventlet.patcher" in sys.modules


def _make_queue():
    # queue.SimpleQueue is C and fast, but it blocks the OS thread; under a
    # monkey-patching library a queue built on threading's (patched)
    # primitives keeps the greenlets cooperative.
    import queue
    return queue.Queue() if _monkey_patched() else queue.SimpleQueue()


def main():
    # The worker set PYTHONEXECUTABLE only so that a process title in argv[0]
    # (yimmo-wsgi: host N [app]) keeps sys.executable right: not the app's.
    if os.environ.pop("YIMMO_HOST_TITLED", None) is not None:
        os.environ.pop("PYTHONEXECUTABLE", None)
    opts = _options()
    level = log.parse_level(opts["log_level"])
    if level:
        log.set_level(level)
    log.use_records(opts["log_records"])
    # The worker decides when the host stops (it closes the socket); a ^C on
    # the terminal, or any signal meant for the supervisor and sent to the
    # whole process group (HUP reload, TTIN/TTOU...), must not kill or stop us
    # (src/ipc/contract.ts SUPERVISOR_SIGNALS). The app may install its own.
    for name in ("SIGINT", "SIGTERM", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2", "SIGTTIN", "SIGTTOU", "SIGWINCH"):
        signal.signal(getattr(signal, name), signal.SIG_IGN)
    _die_with_parent()
    if opts["protocol"] != 1:
        log.warning("worker speaks protocol %d, this host speaks 1" % opts["protocol"])

    app = error = None
    try:
        app = load(opts["app"])
    except LoadError as exc:
        error = str(exc)

    import socket  # after the application: maybe patched by now
    try:
        os.set_inheritable(BRIDGE_FD, False)  # never into the application's child processes
        sock = socket.socket(fileno=BRIDGE_FD)
        sock.setblocking(True)
    except OSError as exc:
        log.fatal("yimmo host: fd %d is not the bridge socket: %s" % (BRIDGE_FD, exc))
        os._exit(EXIT_USAGE if error is None else EXIT_LOAD_ERROR)

    from . import protocol
    if error is not None:
        try:
            payload = error.encode("utf-8", "backslashreplace")
            sock.sendall(protocol.encode_frame(protocol.LOAD_ERROR, 0, payload))
        except OSError:
            pass
        log.debug("application failed to load: %s" % error)
        os._exit(EXIT_LOAD_ERROR)

    import threading
    from .channel import Channel, Stream
    from .handler import Handler
    from .handoff import Handoff, open_channel

    threads = opts["threads"]
    channel = Channel(sock, opts["response_window"], opts["request_window"], opts["direct_timeout"] or None)
    handler = Handler(channel, app, threads, opts["multiprocess"])
    from . import pool as pool_mod
    pool = None
    if pool_mod.usable() and not _monkey_patched():
        # Application threads read the socket themselves (pool.py).
        channel.queue = pool = pool_mod.Pool(channel, threads)
        Stream.blocking = pool.blocking
    else:
        channel.queue = _make_queue()
    handoff_sock = open_channel(os.environ)
    if handoff_sock is not None:
        channel.handoff = Handoff(handoff_sock)
        reader = threading.Thread(target=channel.handoff.run, name="yimmo-handoff")
        reader.daemon = True
        reader.start()
    for i in range(threads):
        if pool is not None:
            target, args = handler.serve_pooled, (pool, i)
        else:
            target, args = handler.serve, (channel.queue,)
        t = threading.Thread(target=target, args=args, name="yimmo-app-%d" % (i + 1))
        t.daemon = True
        t.start()
    flusher = threading.Thread(target=channel.run_flusher, name="yimmo-flusher")
    flusher.daemon = True
    flusher.start()
    hello = {
        "protocol": protocol.PROTOCOL_VERSION,
        "pid": os.getpid(),
        "python": "%d.%d.%d" % sys.version_info[:3],
        "executable": sys.executable,
        "threads": threads,
        "direct": handoff_sock is not None,
    }
    if opts["report_modules"]:
        from .modules import app_files
        hello["modules"] = app_files()
    payload = json.dumps(hello, separators=(",", ":")).encode("utf-8")
    channel.send(protocol.encode_frame(protocol.HELLO, 0, payload))
    log.debug("host ready: %s, %d thread(s)" % (opts["app"], threads))
    if pool is not None:
        pool.standby()
    else:
        channel.run_reader()
