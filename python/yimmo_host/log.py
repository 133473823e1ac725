"""The host's own log lines, in the Node side's format (src/log/logger.ts):

    2026-11-24T05:54:50.123Z [pid] LEVEL message

on stderr, which the worker shares with us, so one stream reads as one log.
Each entry is a single os.write() (line-buffered by construction, and whole
even when several threads log at once). Python's ``logging`` module is left
alone on purpose: its configuration belongs to the application.
"""

import os
import time

LEVELS = ("FATAL", "ERROR", "WARNING", "NOTICE", "INFO", "DEBUG", "TRACE")
_INDEX = {name: i for i, name in enumerate(LEVELS)}

_threshold = _INDEX["NOTICE"]
_pid_text = "[%d]" % os.getpid()


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
