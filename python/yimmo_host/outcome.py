"""Why a response ended early, as exceptions an application thread sees.

Both are OSError: PEP 3333 lets write() raise, and an OSError is what an
application expects from a dead peer. The response loop (wsgi.py) turns
either into ABORT after calling the iterable's close()."""


class Cancelled(OSError):
    """The worker sent CANCEL (the client is gone), or writing failed."""


class WorkerSilent(OSError):
    """A bounded wait for the worker (CREDIT, DIRECT_GO, a handed-over
    socket) passed its limit: the worker should have answered or cancelled
    long before, so the stream is given up rather than held forever."""
