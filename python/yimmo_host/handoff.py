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
import select
import socket
import threading
import traceback

from . import log

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

    def acquire(self, cid, stream):
        """Connection ``cid``'s socket for ``stream`` to write to, held
        until ``release(cid)``; None if the stream was cancelled first."""
        with self._lock:
            fd = self._fds.get(cid)
            if fd is None:
                self._waiters[cid] = stream
        if fd is None:
            fds = self._fds
            stream.wait(lambda: stream.cancelled or cid in fds)
        with self._lock:
            self._waiters.pop(cid, None)
            fd = self._fds.get(cid)
            if fd is None or stream.cancelled:
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
        cid = msg.get("c") if isinstance(msg, dict) else None
        if isinstance(cid, int):
            self._arrived(cid, fd)
        else:
            _close(fd)


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
