"""Direct writes (docs/protocol.md "Direct writes"): a whole large body
written by the host straight to the client socket instead of crossing the
bridge, where it would be copied twice more.

``offer`` runs the exchange for one response: DIRECT, then the worker's
answer, DIRECT_GO (write it) or DIRECT_REFUSED (it could not hand the
socket over: the caller sends the body over the bridge instead). Every wait
for the worker is bounded by the channel's worker_timeout. The socket
itself arrives through handoff.py, the only module that knows Node's IPC
format; the writes below only need a descriptor.
"""

import os
import select

from . import log
from .outcome import Cancelled, WorkerSilent
from .protocol import DIRECT_UNDONE, HEADER, decode_direct_go, encode_direct_frame

# A whole body at least this large is written to the client directly when
# the worker offers it. Measured with wrk (1x2, one core): +11% req/s at
# 128 KiB, no difference at 64 KiB, where the extra DIRECT / DIRECT_GO
# round trip costs what the saved copies gain.
DIRECT_MIN = 128 * 1024
# How long a socket may take to arrive after DIRECT_GO. Node wrote it to the
# IPC channel before sending DIRECT_GO, so it is normally there at once;
# never more than half the worker's own bound, so DIRECT_UNDONE is heard.
ARRIVAL_LIMIT = 5.0


def _arrival_limit(worker_timeout):
    return ARRIVAL_LIMIT if worker_timeout is None else min(ARRIVAL_LIMIT, worker_timeout / 2.0)


def allowed(response, size):
    """Whether ``response`` (head validated, nothing sent) may offer a
    direct write of a ``size``-byte body: the worker frames it by its length,
    so the application's Content-Length must agree and the status must allow
    a body."""
    if not response.s.direct or size < DIRECT_MIN or response.head_sent:
        return False
    status = response.head[:3]
    return (response.cl is None or response.cl == size) and status not in (b"204", b"304") and status[:1] != b"1"


def offer(response, size, write):
    """Send DIRECT for ``response`` and act on the worker's answer.
    ``write(fd, http_head, stall_timeout)`` writes head and body to the
    client. Returns True once written; False when the worker refused, or
    the socket never arrived (we answered DIRECT_UNDONE): either way the
    worker writes the HTTP head and the caller sends the body as DATA or
    FILE. Raises Cancelled or WorkerSilent."""
    s = response.s
    ch = response.ch
    response.head_sent = True
    response.sent = size
    ch.send(encode_direct_frame(s.sid, response.head, size))
    limit = ch.worker_timeout
    if not s.wait(lambda: s.cancelled or s.direct_go is not None or s.direct_refused, limit):
        raise WorkerSilent("no answer to DIRECT from the worker within %g s" % limit)
    if s.cancelled:
        raise Cancelled("the client is gone")
    if s.direct_go is None:
        log.debug("stream %d: direct write refused by the worker; sending the body over the bridge" % s.sid)
        response.sent = 0
        return False
    cid, http_head = decode_direct_go(s.direct_go)
    try:
        fd = ch.handoff.acquire(cid, s, _arrival_limit(limit))
    except WorkerSilent as exc:
        log.warning("stream %d: %s; the body crosses the bridge instead" % (s.sid, exc))
        ch.send(HEADER.pack(0, DIRECT_UNDONE, s.sid))
        response.sent = 0
        return False
    if fd is None:
        raise Cancelled("the client is gone")
    try:
        write(fd, http_head, ch.direct_timeout)
    except OSError as exc:
        raise Cancelled("writing to the client failed: %s" % (" ".join(str(exc).split()) or type(exc).__name__))
    finally:
        ch.handoff.release(cid)
    return True


def write_direct(fd, head, body, stall_timeout):
    """Write the response head and body to the client socket ``fd``.
    Raises OSError; TimeoutError when the client accepted nothing for
    ``stall_timeout`` seconds (None: no limit).

    The socket is non-blocking (its flags are shared with the worker and
    must stay so): a full send buffer means waiting with poll, never
    switching the socket to blocking mode under Node's feet."""
    view = memoryview(body)
    head_size = len(head)
    total = head_size + len(view)
    done = 0
    while done < total:
        try:
            if done < head_size:
                done += os.writev(fd, [head[done:], view])
            else:
                done += os.write(fd, view[done - head_size:])
        except BlockingIOError:
            _wait_writable(fd, stall_timeout)


def sendfile_direct(fd, head, file_fd, offset, count, stall_timeout):
    """Write the response head, then ``count`` bytes of ``file_fd`` from
    ``offset`` with sendfile(2), to the client socket ``fd`` (as
    write_direct). A file that turns out shorter raises OSError: the
    Content-Length promised more."""
    write_direct(fd, head, b"", stall_timeout)
    while count > 0:
        try:
            sent = os.sendfile(fd, file_fd, offset, count)
        except BlockingIOError:
            _wait_writable(fd, stall_timeout)
            continue
        if sent == 0:
            raise OSError("the file ended %d bytes early" % count)
        offset += sent
        count -= sent


def _wait_writable(fd, timeout):
    # select.poll: no FD_SETSIZE limit; select.select where a monkey-patching
    # library removed poll (both cooperative under gevent).
    if hasattr(select, "poll"):
        poller = select.poll()
        poller.register(fd, select.POLLOUT)
        ready = poller.poll(None if timeout is None else timeout * 1000)
    else:
        _, writable, failed = select.select([], [fd], [fd], timeout)
        ready = writable or failed
    if not ready:
        raise TimeoutError("the client accepted nothing for %g s" % timeout)
