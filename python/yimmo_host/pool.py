"""Who reads the bridge socket: the application thread that will run what
it reads (a leader/follower scheme), with the main thread as a standby.

With a dedicated reader thread (Channel.run_reader) every request crosses
threads: the reader wakes for it, hands it to an application thread through
a queue and goes back to recv, while the woken thread already wants the GIL
the reader holds. When requests come one at a time that cost the host
~90 us of CPU and ~15 futex calls per request against ~5 us of Python work
(bench/results/profile.md, "Issue 13, session 4").

Here an idle application thread waits on the socket itself and runs the
request it reads: no hand-off, one wake-up per request. Each application
thread has its own epoll instance with the socket registered EPOLLEXCLUSIVE,
so an arrival wakes ONE waiting thread: the first registered among those
waiting. The main thread (the standby) is registered last, so it wakes only
when frames arrive while no application thread waits, i.e. while all of
them run the application. It routes what it reads as the dedicated reader
did (CREDIT, BODY, CANCEL, DUMP_STACK, STATUS, and REQUESTs, which then
wait in the queue). While a stream waits for a frame (CREDIT, BODY...) it
reads as promptly as before; otherwise, with every thread busy, it naps
(STANDBY_BACKSTOP) and the threads read between two requests instead.

When one read brings more requests than the reading thread runs, the rest
wait in the queue and idle threads are woken for them through a pipe, also
registered EPOLLEXCLUSIVE (one byte wakes one thread). A thread looks at the
queue before it waits; the count of idle threads and the queue are read and
changed under one lock, so a wake-up cannot be lost in between.

Linux only (EPOLLEXCLUSIVE, Linux 4.5). Elsewhere, and under gevent or
eventlet (whose monkey patches turn threads into greenlets and remove
select.epoll), main.py keeps the dedicated reader.
"""

import collections
import os
import select
import socket
import threading
import time
import traceback

from . import log

_EXCLUSIVE = getattr(select, "EPOLLEXCLUSIVE", 0)
_DONTWAIT = getattr(socket, "MSG_DONTWAIT", 0)
# While every application thread runs the application and no stream waits
# for a frame, nobody waits on the socket. Then an application thread that
# finishes a request reads it (without waiting) before taking the next
# queued stream, if nobody read it for STANDBY_NAP: a CANCEL is seen before
# its queued stream would start, and a queued stream's wait (STATUS "wait",
# measured from when it is read) is under-counted by at most that much.
STANDBY_NAP = 0.02
# How long the standby reader naps meanwhile: the most a CANCEL, a
# DUMP_STACK or a STATUS (the worker waits 500 ms for it) waits to be read
# when every thread runs one long request. Each nap's end costs the main
# thread a wake-up and the GIL taken from a running thread (three or four
# switch-ins on both sides); napping STANDBY_NAP instead cost ~0.3-0.9
# switch-ins per Django request (bench/results/profile.md, "Issue 13,
# session 5: the host's switch-ins").
STANDBY_BACKSTOP = 0.1

_monotonic = time.monotonic


def usable():
    """Whether this platform has what the scheme needs."""
    return bool(_EXCLUSIVE and _DONTWAIT and hasattr(select, "epoll"))


class Pool(object):
    """The streams waiting for a thread and the waits on the socket. It
    stands where the queue of the dedicated-reader scheme stood
    (Channel.queue: put, empty, qsize)."""

    def __init__(self, channel, threads):
        self.ch = channel
        self._lock = threading.Lock()      # guards _ready against _idle / _waking
        self._read_lock = threading.Lock()  # one reader of the socket at a time
        self._ready = collections.deque()
        self._idle = 0    # application threads waiting on their epoll (or about to)
        self._waking = 0  # wake-up bytes written to the pipe and not yet read
        self._blocked = 0  # streams waiting for a frame (Stream.wait)
        self._napping = False
        self._read_at = 0.0  # when the socket was last read while the standby naps
        self._nap = threading.Lock()  # the standby naps on it; released to end a nap early
        self._nap.acquire()
        # Non-inheritable (PEP 446), like the epoll instances: never in the
        # application's child processes.
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_r, False)
        os.set_blocking(self._wake_w, False)
        fd = channel.sock.fileno()
        flags = select.EPOLLIN | _EXCLUSIVE
        self._polls = []
        for _ in range(threads):
            ep = select.epoll()
            ep.register(fd, flags)
            ep.register(self._wake_r, flags)
            self._polls.append(ep)
        # Registered after every application thread's: the kernel tries the
        # socket's exclusive waiters in the order they were registered.
        self._standby = select.epoll()
        self._standby.register(fd, flags)

    # ------------------------------------------------------------ the queue

    def put(self, stream):
        # Called by the thread that reads (under _read_lock). No wake-up
        # here: that thread may run the stream itself (see _wake_spare).
        self._ready.append(stream)

    def empty(self):
        return not self._ready

    def qsize(self):
        return len(self._ready)

    def _wake_spare(self):
        """Wake as many idle threads as there are queued streams that no
        thread is already woken for."""
        with self._lock:
            n = min(len(self._ready), self._idle - self._waking)
            if n <= 0:
                return
            self._waking += n
        # One write per thread: each write is one wake-up of one waiter
        # (n bytes in one write would wake a single thread).
        for _ in range(n):
            try:
                os.write(self._wake_w, b"\0")
            except BlockingIOError:  # cannot happen below 64 KiB of wake-ups in flight
                with self._lock:
                    self._waking -= 1

    # ------------------------------------------------------------ threads

    def serve(self, slot, run):
        """An application thread: run queued streams, else wait on the
        socket and run what it brings. ``run(stream)`` never raises."""
        self._guard(self._serve, slot, run)

    def standby(self):
        """The main thread: read when frames arrive while every application
        thread is busy; never returns (EOF or a broken socket exits)."""
        self._guard(self._standby_loop)

    def _guard(self, loop, *args):
        # A thread that stopped here would silently take a thread (or the
        # standby reader) away: a bug of ours ends the host instead.
        try:
            loop(*args)
        except BaseException:
            log.error("host thread failed:\n%s" % traceback.format_exc().rstrip())
        os._exit(0)

    def _serve(self, slot, run):
        poll = self._polls[slot].poll
        ready = self._ready
        lock = self._lock
        read_lock = self._read_lock
        read = self.ch.read_guarded
        wake_r = self._wake_r
        ch = self.ch
        while True:
            if self._napping and _monotonic() - self._read_at >= STANDBY_NAP and read_lock.acquire(False):
                # Between two requests, while the standby naps: read for it
                # (see STANDBY_NAP). Never waits: no frame, or another
                # thread reading, and this one goes on.
                try:
                    self._read_at = _monotonic()
                    read(_DONTWAIT)
                    while ch.read_more:
                        read(_DONTWAIT)
                finally:
                    read_lock.release()
            stream = None
            with lock:
                if ready:
                    stream = ready.popleft()
                    spare = ready and self._idle > self._waking
                else:
                    self._idle += 1
            if stream is not None:
                if spare:
                    self._wake_spare()
                run(stream)
                continue
            if ch._out:
                ch.flush()  # nothing else to do: the outbox goes now
            woken = 0
            readable = False
            for fd, _ in poll():
                if fd == wake_r:
                    try:
                        woken = len(os.read(wake_r, 1))
                    except BlockingIOError:
                        pass  # another thread took it
                else:
                    readable = True
            with lock:
                self._idle -= 1
                self._waking -= woken
            if readable:
                with read_lock:
                    read(_DONTWAIT)
                    # Read all there is before running anything: the kernel
                    # woke this thread alone for it, and no other waiter
                    # would be told about bytes left behind.
                    while ch.read_more:
                        read(_DONTWAIT)

    def _standby_loop(self):
        ch = self.ch
        poll = self._standby.poll
        read_lock = self._read_lock
        read = self.ch.read_guarded
        nap = self._nap.acquire
        lock = self._lock
        while True:
            poll()
            while True:
                with read_lock:
                    read(_DONTWAIT)
                    while ch.read_more:
                        read(_DONTWAIT)
                if self._ready:
                    self._wake_spare()
                with lock:
                    # Every thread runs the application and none waits
                    # for a frame: nothing read now could be acted on
                    # sooner than a thread comes free, and a free thread
                    # reads for itself. Nap instead of waking for every
                    # arrival (a GIL hand-off each); a stream that starts
                    # waiting for a frame ends the nap (blocking()), and
                    # threads read between requests meanwhile (_serve).
                    napping = self._idle == 0 and self._blocked == 0
                    self._napping = napping
                if not napping:
                    break
                self._read_at = _monotonic()
                nap(True, STANDBY_BACKSTOP)
                with lock:
                    self._napping = False

    def blocking(self, delta):
        """Stream.blocking: a stream starts (+1) or stops (-1) waiting for
        a frame from the worker."""
        with self._lock:
            self._blocked += delta
            wake = delta > 0 and self._napping
            self._napping = self._napping and not wake
        if wake:
            try:
                self._nap.release()
            except RuntimeError:
                pass  # already released
