"""Client sockets handed over by the worker for direct writes
(docs/protocol.md "Direct writes").

The worker shares a plain-TCP client socket with us so that a large
response body goes from Python straight to the client instead of crossing
the bridge and being copied twice more in Node. The socket arrives over
Node's own IPC channel (the fd in NODE_CHANNEL_FD), the only way Node can
pass a file descriptor to another process: each message is one JSON line,
``{"cmd": "NODE_HANDLE", "type": "net.Native", "msg": {"c": ID}}``, sent
with the descriptor as SCM_RIGHTS ancillary data, and Node sends nothing
more until we answer ``{"cmd": "NODE_HANDLE_ACK"}``.

This module is the only one that knows Node's wire format (what a Node
release could change); direct.py does the writing. At start-up the worker
proves the channel works with a probe: a handle message ``{"probe": TOKEN}``
carrying one end of a loopback TCP connection, which we answer by writing
TOKEN and a newline to that socket and closing it; only then does the
worker offer direct writes.

A connection is handed over once, at its first direct write, and kept
under its ID until the worker sends FORGET (the connection closed): the
worker keeps the connection, we hold a duplicate descriptor. While we hold
it the kernel cannot finish closing the connection, so a descriptor is
closed as soon as it is forgotten, and one that arrives already forgotten
is closed at once; one forgotten during a write is closed when the write
ends, so a descriptor number is never closed (and reused) under a writer.
"""

import array
import json
import os
import socket
import threading
import traceback

from . import log
from .outcome import WorkerSilent

ACK = b'{"cmd":"NODE_HANDLE_ACK"}\n'
# Node sends one descriptor per message; room for many in case reads merge.
_ANCILLARY = socket.CMSG_SPACE(64 * array.array("i").itemsize)


def take_fds(ancillary):
    """File descriptors from recvmsg's ancillary data, in order."""
    fds = array.array("i")
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[:len(data) - len(data) % fds.itemsize])
    return list(fds)


def _close(fd):
    try:
        os.close(fd)
    except OSError:
        pass


def open_channel(environ):
    """The IPC socket Node gave us, or None (no worker of ours, e.g. tests).
    The variables are removed so that a child process of the application
    never mistakes the channel for its own."""
    fd = environ.pop("NODE_CHANNEL_FD", None)
    environ.pop("NODE_CHANNEL_SERIALIZATION_MODE", None)
    if fd is None:
        return None
    try:
        fd = int(fd)
        os.set_inheritable(fd, False)
        sock = socket.socket(fileno=fd)
        sock.setblocking(True)
        return sock
    except (ValueError, OSError) as exc:
        log.warning("no socket handoff channel (NODE_CHANNEL_FD=%r): %s" % (fd, exc))
        return None


class Handoff(object):
    """The connections handed over to us, by ID. ``run`` (a thread of its
    own) reads the IPC channel; ``forget`` comes from the bridge reader;
    ``acquire`` from an application thread about to write."""

    def __init__(self, sock):
        self.sock = sock
        self._lock = threading.Lock()
        self._fds = {}          # ID -> descriptor
        self._busy = {}         # ID -> writes in progress
        self._doomed = {}       # ID -> descriptor forgotten during a write
        self._waiters = {}      # ID -> stream waiting for it
        self._forgotten = set() # IDs forgotten before their descriptor came

    def acquire(self, cid, stream, timeout=None):
        """Connection ``cid``'s socket for ``stream`` to write to, held
        until ``release(cid)``; None if the stream was cancelled first.
        Raises WorkerSilent when it has not arrived within ``timeout``
        seconds (None: no limit): the worker said it sent it."""
        with self._lock:
            fd = self._fds.get(cid)
            if fd is None:
                self._waiters[cid] = stream
        arrived = True
        if fd is None:
            fds = self._fds
            arrived = stream.wait(lambda: stream.cancelled or cid in fds, timeout)
        with self._lock:
            self._waiters.pop(cid, None)
            fd = self._fds.get(cid)
            if stream.cancelled:
                return None
            if fd is None:
                if not arrived:
                    raise WorkerSilent("the client socket (connection %d) did not arrive within %g s" % (cid, timeout))
                return None
            self._busy[cid] = self._busy.get(cid, 0) + 1
            return fd

    def release(self, cid):
        with self._lock:
            left = self._busy.pop(cid) - 1
            if left:
                self._busy[cid] = left
                return
            fd = self._doomed.pop(cid, None)
        if fd is not None:
            _close(fd)

    def forget(self, cid):
        """FORGET: the worker closed connection ``cid``."""
        with self._lock:
            fd = self._fds.pop(cid, None)
            if fd is None:
                self._forgotten.add(cid)
            elif cid in self._busy:
                self._doomed[cid] = fd
                fd = None
        if fd is not None:
            _close(fd)

    def _arrived(self, cid, fd):
        with self._lock:
            if cid in self._forgotten or cid in self._fds:
                self._forgotten.discard(cid)
                stream = None
            else:
                self._fds[cid] = fd
                fd = None
                stream = self._waiters.get(cid)
        if fd is not None:
            _close(fd)
        if stream is not None:
            with stream.mutex:
                stream.wake()

    def run(self):
        try:
            self._read_loop()
        except OSError as exc:
            log.debug("socket handoff channel failed: %s" % exc)
        except Exception:
            log.error("socket handoff reader failed:\n%s" % traceback.format_exc().rstrip())
        # Without the channel no more sockets come; a stream waiting for
        # one is cancelled when the worker gives up on it.

    def _read_loop(self):
        sock = self.sock
        pending = b""
        fds = []
        while True:
            data, ancillary, _flags, _addr = sock.recvmsg(65536, _ANCILLARY)
            fds.extend(take_fds(ancillary))
            if not data:
                for fd in fds:
                    _close(fd)
                return
            pending += data
            *lines, pending = pending.split(b"\n")
            for line in lines:
                self._message(line, fds)

    def _message(self, line, fds):
        try:
            message = json.loads(line)
        except ValueError:
            log.warning("socket handoff: unreadable message %r" % line[:100])
            return
        if not isinstance(message, dict) or message.get("cmd") != "NODE_HANDLE":
            return  # nothing else is meant for us
        self.sock.sendall(ACK)
        if not fds:
            log.warning("socket handoff: a handle message came without a descriptor")
            return
        fd = fds.pop(0)
        msg = message.get("msg")
        if isinstance(msg, dict) and "probe" in msg:
            return _answer_probe(fd, msg["probe"])
        cid = msg.get("c") if isinstance(msg, dict) else None
        if isinstance(cid, int):
            self._arrived(cid, fd)
        else:
            _close(fd)


def _answer_probe(fd, token):
    """The worker's start-up probe: prove the descriptor arrived and is a
    usable socket by writing the token through it."""
    try:
        data = ("%s\n" % (token,)).encode("ascii", "replace")
        if os.write(fd, data) != len(data):
            raise OSError("short write")
        log.debug("socket handoff probe answered")
    except OSError as exc:
        log.warning("socket handoff probe: cannot write to the handed-over socket: %s" % exc)
    finally:
        _close(fd)
