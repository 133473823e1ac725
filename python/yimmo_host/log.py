"""The host's own log lines, on stderr.

Started by a worker (which reads our stderr, src/log/host-stderr.ts), each
entry is a record: the byte 0x1E, a JSON object {"t": epoch ms, "l": level,
"p": pid, "m": message}, a newline. The worker tells them from the lines the
application writes to stderr, and writes both to the error log in its format
(text or JSON), attributed to this host's pid; a traceback stays inside its
record. Run by hand (records off), an entry is a line in the Node side's
text format:

    2026-11-24T05:54:50.123Z [pid] LEVEL message

Each entry is a single os.write() (whole even when several threads log at
once). Python's ``logging`` module is left alone on purpose: its
configuration belongs to the application.
"""

import json
import os
import time

LEVELS = ("FATAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG", "TRACE")
_INDEX = {name: i for i, name in enumerate(LEVELS)}

_threshold = _INDEX["NOTICE"]
_pid_text = "[%d]" % os.getpid()
_records = False


def use_records(on):
    """Write records for the worker to relay (see the module docstring)."""
    global _records
    _records = bool(on)


def parse_level(text):
    """'warn' / 'WARNING' / ' info ' -> canonical name, or None."""
    upper = str(text).strip().upper()
    if upper == "WARN":
        upper = "WARNING"
    return upper if upper in _INDEX else None


def set_level(name):
    global _threshold
    level = parse_level(name)
    if level is None:
        raise ValueError("unknown log level %r" % (name,))
    _threshold = _INDEX[level]


def enabled(level):
    return _INDEX[level] <= _threshold


def _stamp():
    now = time.time()
    secs = int(now)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(secs)) + ".%03dZ" % int((now - secs) * 1000)


def write(level, message):
    if _INDEX[level] > _threshold:
        return
    if _records:
        # ensure_ascii: the record is one line whatever the message holds.
        # "p": a process the application forked logs with its own pid.
        record = {"t": int(time.time() * 1000), "l": level, "p": os.getpid(), "m": str(message)}
        line = "\x1e" + json.dumps(record) + "\n"
    else:
        line = "%s %s %s %s\n" % (_stamp(), _pid_text, level, message)
    data = line.encode("utf-8", "backslashreplace")
    try:
        while data:
            n = os.write(2, data)
            data = data[n:]
    except OSError:
        pass  # no stderr left: nothing useful to do


def fatal(message):
    write("FATAL", message)


def error(message):
    write("ERROR", message)


def warning(message):
    write("WARNING", message)


def notice(message):
    write("NOTICE", message)


def info(message):
    write("INFO", message)


def debug(message):
    write("DEBUG", message)


def trace(message):
    write("TRACE", message)
