"""The host's end of the bridge socket (fd 3): one reader at a time, many
writers.

read_frames() reads in bulk (recv_into a large buffer), splits frames with
struct.unpack_from and routes them to streams; it never sends, so reading
can never block on a full socket while the worker is blocked on ours. It is
called by the main thread's reader loop (run_reader), or on Linux by
whichever thread pool.py lets read (one at a time). Application threads
send whole frames under one lock, one sendall per frame (or per batch of
whole frames from the outbox, see Channel.final), so frames of different
streams never interleave.

EOF, a socket error or a protocol error means the worker is gone or cannot
be trusted: the host exits at once with os._exit(0), whatever application
threads are doing (docs/protocol.md: a host never outlives its worker).

This module is imported after the application, so ``threading`` here is
whatever the application made of it (gevent's monkey patches included).
"""

import os
import sys
import threading
import time
import traceback

from . import log
from .protocol import (
    BODY, BODY_END, BODY_ERROR, CANCEL, CREDIT, DIRECT_GO, DIRECT_REFUSED, DUMP_STACK, FILE_DONE, FORGET,
    HEADER, HEADER_SIZE, MAX_PAYLOAD, NAMES, REQUEST, STATUS, U32, ProtocolError,
)
from . import status

RECV_BUFFER = 256 * 1024
# Never call recv_into with less room than this (no tiny reads).
MIN_ROOM = 64 * 1024


# Outbox limits (see Channel.final).
OUTBOX_FRAMES = 16
OUTBOX_BYTES = 64 * 1024
OUTBOX_DELAY = 0.002
# A stream that ran this long has its last frame sent at once (see final).
OUTBOX_SLOW = 0.0005
FLUSHER_IDLE_POLLS = 50
# How long the reader waits before reading again while requests are queued.
READER_PAUSE = 0.0002

_monotonic = time.monotonic
_sleep = time.sleep


def _exit_now(reason):
    log.debug("host exiting: %s" % reason)
    os._exit(0)


class Stream(object):
    """One exchange (docs/protocol.md: stream = one request and its response).

    The reader thread writes ``granted``, ``buf`` (appends), ``body_done``,
    ``body_error``, ``cancelled``, ``file_done``, ``direct_go`` and
    ``direct_refused``; the application thread
    writes ``used`` and takes bytes from the front of ``buf``. Counters with
    a single writer need no lock; the mutex only guards waiting, so that a
    wake-up cannot be lost between a check and a wait (the Condition is made
    the first time a thread actually has to wait).
    """

    __slots__ = (
        "sid", "payload", "mutex", "cond", "granted", "used", "cancelled",
        "buf", "body_done", "body_error", "file_done", "thread", "env",
        "direct", "direct_go", "direct_refused", "queued", "started",
    )

    # Called with +1 before a thread blocks in wait() and -1 after (the
    # pool's standby reader must not nap while a stream waits for a frame).
    blocking = None

    def __init__(self, sid, payload, window, mutex):
        self.sid = sid
        self.payload = payload
        self.mutex = mutex
        self.cond = None
        self.granted = window      # response bytes allowed so far (CREDIT adds)
        self.used = 0              # response bytes sent so far
        self.cancelled = False
        self.buf = bytearray()     # request body bytes not yet read by the app
        self.body_done = False     # BODY_END seen
        self.body_error = None     # BODY_ERROR reason
        self.file_done = None      # FILE_DONE value
        self.thread = None         # ident of the thread running the app
        self.env = None            # the environ, once built (for log lines)
        self.direct = False        # REQUEST flag d: the worker offers direct writes
        self.direct_go = None      # DIRECT_GO payload: connection ID, the HTTP head to write first
        self.direct_refused = False  # DIRECT_REFUSED: send the body over the bridge after all
        self.queued = _monotonic()  # when it arrived: the wait for a thread is measured from here
        self.started = 0.0         # when a thread took it

    def wait(self, ready, timeout=None):
        """Block until ``ready()`` is true (checked under the mutex), or
        for at most ``timeout`` seconds (None: no limit). Returns whether
        ``ready()`` became true."""
        with self.mutex:
            if ready():
                return True
            if self.cond is None:
                self.cond = threading.Condition(self.mutex)
            hook = Stream.blocking
            if hook is not None:
                hook(1)  # pool.py: somebody must read the socket for us now
            try:
                if timeout is None:
                    while not ready():
                        self.cond.wait()
                    return True
                deadline = _monotonic() + timeout
                while not ready():
                    left = deadline - _monotonic()
                    if left <= 0:
                        return False
                    self.cond.wait(left)
                return True
            finally:
                if hook is not None:
                    hook(-1)

    def wake(self):
        # Caller holds self.mutex.
        cond = self.cond
        if cond is not None:
            cond.notify_all()


class Channel(object):
    def __init__(self, sock, response_window, request_window, direct_timeout=None):
        self.sock = sock
        # Seconds a direct write may wait for the client to accept a byte,
        # and the bound on every wait for the worker (CREDIT, DIRECT_GO, a
        # handed-over socket): the worker's request timeout (None: off).
        self.direct_timeout = direct_timeout
        self.worker_timeout = direct_timeout
        self.handoff = None  # the Handoff, when the worker can hand sockets over
        self.response_window = response_window
        self.request_window = request_window
        self.streams = {}
        self.queue = None  # set by main: where new streams go
        self.greenlets = {}  # thread ident -> greenlet, under gevent (DUMP_STACK)
        self.waits = status.WaitHistogram()  # seconds streams waited for a thread (STATUS)
        self._send_lock = threading.Lock()
        self._new_lock = threading.Lock
        self._sendall = sock.sendall
        # The outbox: last frames of finished streams, held while more
        # requests are queued so that one sendall carries several responses
        # (python/bench_host.py: ~35% less host CPU per request at load).
        self._out = []
        self._out_bytes = 0
        self._out_since = 0.0
        self._out_lock = threading.Lock()
        self._out_used = False
        self._flusher_asleep = True
        self._flush_wanted = threading.Lock()
        self._flush_wanted.acquire()
        # The receive buffer (read_frames): bytes [_rstart, _rend) are read
        # and not yet routed.
        self._rbuf = bytearray(RECV_BUFFER)
        self._rview = memoryview(self._rbuf)
        self._rstart = self._rend = 0
        self.read_more = False  # the last read_frames() filled the buffer

    # ------------------------------------------------------------ sending

    def send(self, data):
        """Send one whole frame (header and payload in one bytes object),
        together with whatever waits in the outbox."""
        try:
            with self._send_lock:
                if self._out:
                    data = self._take_out(data)
                self._sendall(data)
        except OSError as exc:
            _exit_now("bridge socket send failed: %s" % exc)

    def send_parts(self, first, second):
        """One frame in two pieces (a large body is not copied to be joined)."""
        try:
            with self._send_lock:
                if self._out:
                    first = self._take_out(first)
                self._sendall(first)
                self._sendall(second)
        except OSError as exc:
            _exit_now("bridge socket send failed: %s" % exc)

    def send_frame(self, ftype, sid, payload=b""):
        n = len(payload)
        if n < 65536:
            self.send(HEADER.pack(n, ftype, sid) + payload)
        else:
            self.send_parts(HEADER.pack(n, ftype, sid), payload)

    def final(self, data, stream):
        """Send a stream's last frame (HEAD_END, END, ABORT). While other
        requests wait in the queue it joins the outbox instead: the thread
        is about to handle the next one and sends both together. The outbox
        is flushed when the queue runs dry, when it holds OUTBOX_FRAMES or
        OUTBOX_BYTES, before a thread waits for anything, and at the latest
        about OUTBOX_DELAY later by the flusher thread (a slow next request
        must not hold a finished response back).

        A stream that took OUTBOX_SLOW or more is sent at once: its thread's
        next request will likely be as slow, so nothing would join it before
        the flusher sends it, and waking the flusher every OUTBOX_DELAY costs
        more than the send it saves (bench/results/profile.md, Django)."""
        if self.queue.empty() or _monotonic() - stream.started >= OUTBOX_SLOW:
            self.send(data)
            return
        with self._out_lock:
            out = self._out
            if not out:
                self._out_since = _monotonic()
            out.append(data)
            self._out_bytes += len(data)
            full = len(out) >= OUTBOX_FRAMES or self._out_bytes >= OUTBOX_BYTES
        self._out_used = True
        if full:
            self.flush()
        elif self._flusher_asleep:
            self._flusher_asleep = False
            try:
                self._flush_wanted.release()
            except RuntimeError:
                pass  # already released

    def flush(self):
        """Send the outbox now."""
        if not self._out:
            return
        try:
            with self._send_lock:
                if self._out:
                    self._sendall(self._take_out(b""))
        except OSError as exc:
            _exit_now("bridge socket send failed: %s" % exc)

    def _take_out(self, data):
        # Caller holds _send_lock.
        with self._out_lock:
            out = self._out
            out.append(data)
            data = b"".join(out)
            del out[:]
            self._out_bytes = 0
        return data

    def run_flusher(self):
        """Thread: bound how long a finished response can sit in the outbox.

        It polls every OUTBOX_DELAY while outboxes are in use and sleeps on
        a lock after FLUSHER_IDLE_POLLS polls without any; waking it per
        batch instead cost ~1.5 us per request in thread hand-offs."""
        while True:
            self._flush_wanted.acquire()
            idle = 0
            while idle < FLUSHER_IDLE_POLLS:
                _sleep(OUTBOX_DELAY)
                if self._out_used:
                    self._out_used = False
                    idle = 0
                else:
                    idle += 1
                if self._out and _monotonic() - self._out_since >= OUTBOX_DELAY:
                    self.flush()
            self._flusher_asleep = True
            if self._out_used:
                self._flusher_asleep = False  # raced with final(): keep going
                try:
                    self._flush_wanted.release()
                except RuntimeError:
                    pass

    # ------------------------------------------------------------ reading

    def run_reader(self):
        """Read and route frames until the socket ends; never returns."""
        try:
            self._read_loop()
        except OSError as exc:
            _exit_now("bridge socket failed: %s" % exc)
        except ProtocolError as exc:
            log.error("bridge protocol error: %s" % exc)
            _exit_now("protocol error")
        except Exception:  # a bug of ours: the stream state cannot be trusted
            log.error("bridge reader failed:\n%s" % traceback.format_exc().rstrip())
            _exit_now("reader failed")
        _exit_now("bridge socket closed by the worker")

    def _read_loop(self):
        # The dedicated reader (python/yimmo_host/pool.py is the other
        # scheme): blocking reads, a pause while requests are queued.
        queue_empty = self.queue.empty
        read = self.read_frames
        while True:
            if not queue_empty():
                # The application threads have a backlog: no hurry to read
                # more requests. Waiting a moment lets frames pile up, so one
                # recv takes many and the reader and the application threads
                # fight for the GIL less often (python/bench_host.py).
                _sleep(READER_PAUSE)
            if not read(0):
                return

    def read_guarded(self, flags):
        """read_frames() for a thread that is not the reader loop: the same
        exits on a broken socket or a protocol error."""
        try:
            if self.read_frames(flags):
                return
        except OSError as exc:
            _exit_now("bridge socket failed: %s" % exc)
        except ProtocolError as exc:
            log.error("bridge protocol error: %s" % exc)
            _exit_now("protocol error")
        except Exception:  # a bug of ours: the stream state cannot be trusted
            log.error("bridge reader failed:\n%s" % traceback.format_exc().rstrip())
            _exit_now("reader failed")
        _exit_now("bridge socket closed by the worker")

    def read_frames(self, flags):
        """One recv (``flags``: 0, or MSG_DONTWAIT: then nothing there is
        no error) and the routing of every complete frame it finished.
        Returns False at EOF. One thread at a time: the buffer state lives
        on the channel."""
        unpack_from = HEADER.unpack_from
        streams = self.streams
        buf, view, start, end = self._rbuf, self._rview, self._rstart, self._rend
        if len(buf) - end < MIN_ROOM:
            # Little room left: move the partial frame to the front, or
            # grow the buffer when one frame is larger than all of it.
            pending = end - start
            need = pending + MIN_ROOM
            if pending >= HEADER_SIZE:
                need = max(need, HEADER_SIZE + unpack_from(buf, start)[0])
            if need > len(buf):
                nbuf = bytearray(max(need, 2 * len(buf)))
                nbuf[:pending] = view[start:end]
                view.release()
                buf, view = nbuf, memoryview(nbuf)
                self._rbuf, self._rview = buf, view
            else:
                view[:pending] = bytes(view[start:end])
            start, end = 0, pending
            self._rstart, self._rend = start, end
        self.read_more = False
        room = len(buf) - end
        try:
            n = self.sock.recv_into(view[end:], 0, flags)
        except BlockingIOError:
            return True  # MSG_DONTWAIT and nothing there (another thread read it)
        if not n:
            return False
        # Filled every byte of room: more may be waiting (pool.py reads on).
        self.read_more = n == room
        end += n
        self._rend = end
        pos = start
        while end - pos >= HEADER_SIZE:
            length, ftype, sid = unpack_from(buf, pos)
            if length > MAX_PAYLOAD:
                raise ProtocolError("frame of %d bytes exceeds 16 MiB" % length)
            fend = pos + HEADER_SIZE + length
            if fend > end:
                break
            pstart = pos + HEADER_SIZE
            pos = fend
            if ftype == REQUEST:
                if not sid or sid in streams:
                    raise ProtocolError("REQUEST for stream %d, which is open or 0" % sid)
                stream = Stream(sid, bytes(view[pstart:fend]), self.response_window, self._new_lock())
                streams[sid] = stream
                self.queue.put(stream)
                continue
            if ftype == STATUS and not sid:
                status.answer_later(self, bytes(view[pstart:fend]))
                continue
            if ftype == FORGET and not sid:
                if length != 4:
                    raise ProtocolError("FORGET payload of %d bytes" % length)
                if self.handoff is not None:
                    self.handoff.forget(U32.unpack_from(buf, pstart)[0])
                continue
            stream = streams.get(sid)
            if ftype == BODY:
                if stream is not None:
                    with stream.mutex:
                        stream.buf += view[pstart:fend]
                        stream.wake()
            elif ftype == CREDIT:
                if length != 4:
                    raise ProtocolError("CREDIT payload of %d bytes" % length)
                if stream is not None:
                    amount = U32.unpack_from(buf, pstart)[0]
                    with stream.mutex:
                        stream.granted += amount
                        stream.wake()
            elif ftype == BODY_END:
                if stream is not None:
                    with stream.mutex:
                        stream.body_done = True
                        stream.wake()
            elif ftype == CANCEL:
                if stream is not None:
                    with stream.mutex:
                        stream.cancelled = True
                        stream.wake()
            elif ftype == BODY_ERROR:
                if stream is not None:
                    reason = bytes(view[pstart:fend]).decode("utf-8", "replace") or "request body failed"
                    with stream.mutex:
                        stream.body_error = reason
                        stream.wake()
            elif ftype == FILE_DONE:
                if length != 1:
                    raise ProtocolError("FILE_DONE payload of %d bytes" % length)
                if stream is not None:
                    with stream.mutex:
                        stream.file_done = buf[pstart]
                        stream.wake()
            elif ftype == DIRECT_GO:
                if stream is not None:
                    head = bytes(view[pstart:fend])
                    with stream.mutex:
                        stream.direct_go = head
                        stream.wake()
            elif ftype == DIRECT_REFUSED:
                if stream is not None:
                    with stream.mutex:
                        stream.direct_refused = True
                        stream.wake()
            elif ftype == DUMP_STACK:
                if stream is not None:
                    self.dump_stack(stream)
            else:
                raise ProtocolError("unexpected frame type 0x%02x (%s) from the worker"
                                    % (ftype, NAMES.get(ftype, "unknown")))
            if not sid:
                raise ProtocolError("frame type 0x%02x on stream 0" % ftype)
        if pos == end:
            self._rstart = self._rend = 0
            if len(buf) > RECV_BUFFER:
                # A huge frame grew the buffer; give the memory back.
                view.release()
                self._rbuf = bytearray(RECV_BUFFER)
                self._rview = memoryview(self._rbuf)
        else:
            self._rstart = pos
        return True

    # ------------------------------------------------------------ DUMP_STACK

    def dump_stack(self, stream):
        """Log where the application is stuck (the worker's request timeout)."""
        ident = stream.thread
        env = stream.env
        if env is not None:
            what = "%s %s" % (env.get("REQUEST_METHOD"), env.get("RAW_URI"))
        else:
            what = "stream %d" % stream.sid
        frame = sys._current_frames().get(ident) if ident is not None else None
        if frame is None and ident in self.greenlets:
            # Under gevent an application "thread" is a greenlet: its frame
            # is not among the OS threads' frames.
            frame = getattr(self.greenlets[ident], "gr_frame", None)
        if frame is None:
            log.error("request timeout for %s: not running in an application thread" % what)
            return
        stack = "".join(traceback.format_stack(frame)).rstrip()
        log.error("request timeout for %s; stack of its thread:\n%s" % (what, stack))
