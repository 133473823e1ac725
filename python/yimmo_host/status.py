"""The host's side of STATUS / STATUS_REPLY (docs/protocol.md "Status"):
what the application threads are doing, for the server's metrics and its
status page.

The reader thread must never send (channel.py), so each query is answered
from a short-lived thread of its own; queries come at most a few times a
second (one per scrape or status-page poll), so the thread costs nothing
that matters.
"""

from bisect import bisect_left as _bisect_left
import sys
import threading
import traceback

from . import log
from .protocol import HEADER, STATUS_REPLY, decode_status_query, encode_status_reply

# Seconds; the same buckets as the worker's request durations
# (src/ipc/histogram.ts DURATION_BOUNDS), so the two read alike.
WAIT_BOUNDS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)


class WaitHistogram(object):
    """How long streams waited in the queue for a free application thread."""

    # Called once per request by the application threads: bisect (in C) and
    # no lock (about 0.35 us instead of 0.8 us). Without a lock, two threads
    # preempted between the read and the write of one counter could lose an
    # observation; the GIL switches threads every 5 ms, so that is rare, and a
    # lost wait in a histogram of thousands changes nothing an operator reads.
    def __init__(self, bounds=WAIT_BOUNDS):
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)
        self.sum = 0.0

    def observe(self, seconds):
        self.counts[_bisect_left(self.bounds, seconds)] += 1
        self.sum += seconds

    def data(self):
        counts = list(self.counts)
        return {"bounds": list(self.bounds), "counts": counts, "sum": self.sum, "count": sum(counts)}


def thread_stack(ch, ident):
    """The formatted stack of an application thread (or greenlet), or None."""
    if ident is None:
        return None
    frame = sys._current_frames().get(ident)
    if frame is None and ident in ch.greenlets:
        frame = getattr(ch.greenlets[ident], "gr_frame", None)
    if frame is None:
        return None
    return "".join(traceback.format_stack(frame)).rstrip()


def report(ch, stack_of):
    """The STATUS_REPLY report: threads, queue, which thread runs which stream,
    and the stack of stream ``stack_of`` (0: none asked)."""
    names = {t.ident: t.name for t in threading.enumerate()}
    running = {}
    stack = None
    # list() copies the values in one step under the GIL while the reader
    # thread may add or remove streams.
    for stream in list(ch.streams.values()):
        ident = stream.thread
        if ident is None:
            continue
        running[str(stream.sid)] = names.get(ident) or ("thread %d" % ident)
        if stream.sid == stack_of:
            stack = thread_stack(ch, ident)
    queue = ch.queue
    return {
        # main.py names the application threads yimmo-app-N (gevent keeps the names too).
        "threads": sum(1 for name in names.values() if name.startswith("yimmo-app-")),
        "busy": len(running),
        "queued": queue.qsize() if queue is not None else 0,
        "wait": ch.waits.data(),
        "streams": running,
        "stack": stack,
    }


def _answer(ch, payload):
    try:
        query, stack_of = decode_status_query(payload)
        body = encode_status_reply(query, report(ch, stack_of))
        ch.send(HEADER.pack(len(body), STATUS_REPLY, 0) + body)
    except Exception:  # a status page must never take the host down
        log.error("cannot answer STATUS:\n%s" % traceback.format_exc().rstrip())


def answer_later(ch, payload):
    """Called by the reader thread: answer from another thread."""
    threading.Thread(target=_answer, args=(ch, payload), name="yimmo-status", daemon=True).start()
