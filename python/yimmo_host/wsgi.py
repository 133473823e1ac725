"""The response side of one exchange (PEP 3333; docs/protocol.md "Frames
from host to worker"): call the application, validate start_response,
iterate the result and send HEAD / HEAD_END / DATA / FILE / END / ABORT.
The iterable's close() is always called before the stream's last frame.
"""

import os
import traceback

from . import direct, log
from .direct import sendfile_direct, write_direct
from .file_wrapper import FileWrapper
from .outcome import Cancelled, WorkerSilent
from .protocol import (
    ABORT, DATA, END, FILE, HEAD, HEAD_END, HEAD_HEADER, HEADER, MAX_HEAD, U64_PAIR,
)
from .validate import check_headers

# Frames up to this size are joined into one bytes object for one sendall;
# larger bodies go in a second sendall instead of being copied.
_JOIN_LIMIT = 65536
__all__ = ["Cancelled", "Response"]  # Cancelled: what write() raises once the client is gone


def _as_bytes(data):
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError("response body must be bytes, not %s (PEP 3333)" % type(data).__name__)


def _one_line(exc):
    text = " ".join(str(exc).split())
    name = type(exc).__name__
    return ("%s: %s" % (name, text) if text else name)[:1000]


class Response(object):
    """The response side of one stream: start_response, write and the
    iteration of the application's result."""

    __slots__ = ("ch", "s", "env", "is_head", "head", "cl", "head_sent", "sent", "pending")

    def __init__(self, ch, stream, env, is_head):
        self.ch = ch
        self.s = stream
        self.env = env
        self.is_head = is_head
        self.head = None        # validated head bytes once start_response succeeded
        self.cl = None          # the application's Content-Length, if any
        self.head_sent = False
        self.sent = 0           # body bytes accepted so far
        self.pending = None     # whole body held back for a single HEAD_END

    # ------------------------------------------------------------ PEP 3333 callables

    def start_response(self, status, headers, exc_info=None):
        if exc_info is not None:
            try:
                if self.head_sent:
                    # PEP 3333: "if exc_info is provided, and the HTTP headers
                    # have already been sent, start_response must raise an
                    # error, and should re-raise using the exc_info tuple."
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None  # no traceback <-> frame cycle
        elif self.head is not None:
            # PEP 3333: "it is a fatal error to call start_response without
            # the exc_info argument if start_response has already been called"
            raise RuntimeError("start_response() called again without exc_info")
        # Validate now, so the error is raised into the application where it
        # made the mistake ("Servers should check for errors in the headers at
        # the time start_response is called").
        head, cl = check_headers(status, headers)
        if len(head) > MAX_HEAD:
            # Framed, it would break the bridge (docs/protocol.md "Frame
            # layout") and with it every request on this host; refused
            # here, only this response fails (500 unless the app recovers).
            raise ValueError("response head of %d bytes exceeds the %d MiB the server can pass on"
                             % (len(head), MAX_HEAD >> 20))
        self.head, self.cl = head, cl
        return self.write

    def write(self, data):
        if self.head is None:
            raise RuntimeError("write() called before start_response()")
        if type(data) is not bytes:
            data = _as_bytes(data)
        if self.s.cancelled:
            raise Cancelled("the client is gone")
        if data and not self.is_head:
            # PEP 3333: write() must transmit (or buffer for certain
            # transmission) before it returns: the frame goes out now.
            self._send(data)

    # ------------------------------------------------------------ sending

    def _wait_credit(self):
        s = self.s
        self.ch.flush()
        # Bounded: a worker that neither grants credit nor cancels within
        # its own request timeout is not coming back for this stream.
        limit = self.ch.worker_timeout
        if not s.wait(lambda: s.granted > s.used or s.cancelled, limit):
            raise WorkerSilent("no CREDIT from the worker for %g s" % limit)
        if s.cancelled:
            raise Cancelled("the client is gone")

    def _send(self, data):
        """Send body bytes now, HEAD first if needed, within the stream's
        credit. Returns False once the declared Content-Length is complete
        (PEP 3333: never send more than the header allows)."""
        s = self.s
        cl = self.cl
        if cl is not None:
            room = cl - self.sent
            if len(data) >= room:
                data = data[:room]
                self.sent = cl
                if not data:
                    return False
            else:
                self.sent += len(data)
        else:
            self.sent += len(data)
        ch = self.ch
        sid = s.sid
        while data:
            avail = s.granted - s.used
            if avail <= 0:
                self._wait_credit()
                continue
            if len(data) > avail:
                if type(data) is not memoryview:
                    data = memoryview(data)
                piece, data = data[:avail], data[avail:]
            else:
                piece, data = data, b""
            n = len(piece)
            s.used += n
            if not self.head_sent:
                self.head_sent = True
                head = self.head
                first = HEAD_HEADER.pack(4 + len(head) + n, HEAD, sid, len(head)) + head
            else:
                first = HEADER.pack(n, DATA, sid)
            if n <= _JOIN_LIMIT:
                ch.send(first + piece)
            else:
                ch.send_parts(first, piece)
        return cl is None or self.sent < cl

    def _send_head_only(self):
        self.head_sent = True
        head = self.head
        self.ch.send(HEAD_HEADER.pack(4 + len(head), HEAD, self.s.sid, len(head)) + head)

    def _hold_or_send(self, body):
        """The whole body is known before anything was sent: write it to
        the client directly when it is large, else keep it for a single
        HEAD_END when the credit allows, else stream it."""
        s = self.s
        if self.cl is not None and len(body) > self.cl:
            body = body[:self.cl]
        if direct.allowed(self, len(body)):
            if not direct.offer(self, len(body), lambda fd, head, timeout: write_direct(fd, head, body, timeout)):
                self._send(body)  # refused: DATA frames after the head the worker wrote
        elif len(body) <= s.granted - s.used:
            s.used += len(body)
            self.sent = len(body)
            self.pending = body
        else:
            self._send(body)

    def _hold_list(self, result):
        """A list or tuple is the whole body, materialised: join it (skipping
        empty strings) so the response can leave as one HEAD_END."""
        if len(result) == 1:
            body = result[0]
        else:
            body = b"".join([c for c in result if c])
        if type(body) is not bytes:
            body = _as_bytes(body)
        if not body:
            return
        if self.head is None:
            raise RuntimeError("the application returned a body without calling start_response()")
        self._hold_or_send(body)

    def _send_file(self, wrapper):
        """FILE frame for our FileWrapper around a regular file; False when
        the wrapper has to be iterated instead."""
        if self.head is None:
            return False
        info = wrapper.regular_file()
        if info is None:
            return False
        fd, offset, count = info
        if self.cl is not None:
            count = min(count, self.cl - self.sent)
        if count <= 0:
            return True
        s = self.s
        if direct.allowed(self, count):
            # The kernel copies the file to the client (sendfile): no byte
            # of it passes through Python or the worker.
            write = lambda out, head, timeout: sendfile_direct(out, head, fd, offset, count, timeout)  # noqa: E731
            if direct.offer(self, count, write):
                return True
            # Refused: the worker wrote the head; it sends the file itself (FILE).
        if not self.head_sent:
            self._send_head_only()
        s.file_done = None
        path = "/proc/%d/fd/%d" % (os.getpid(), fd)
        payload = U64_PAIR.pack(offset, count) + path.encode("utf-8")
        self.ch.send(HEADER.pack(len(payload), FILE, s.sid) + payload)
        s.wait(lambda: s.file_done is not None or s.cancelled)
        if s.cancelled:
            raise Cancelled("the client is gone")
        if not s.file_done:
            raise Cancelled("the worker could not send the whole file")
        self.sent += count
        return True

    # ------------------------------------------------------------ the exchange

    def _iterate(self, result):
        s = self.s
        if self.is_head:
            # RFC 9110 9.3.2: no body for HEAD. Iterate only as far as needed
            # to learn the headers (start_response may come lazily).
            if self.head is None:
                for _ in result:
                    if self.head is not None or s.cancelled:
                        break
            return
        if isinstance(result, (list, tuple)) and not self.head_sent:
            self._hold_list(result)
            return
        if type(result) is FileWrapper and self._send_file(result):
            return
        for chunk in result:
            if s.cancelled:
                raise Cancelled("the client is gone")
            if not chunk:
                continue  # PEP 3333: empty strings are skipped, never a last-chunk
            if type(chunk) is not bytes:
                chunk = _as_bytes(chunk)
            if not self.head_sent:
                if self.head is None:
                    raise RuntimeError("the application returned a body without calling start_response()")
                cl = self.cl
                if cl is not None and len(chunk) >= cl:
                    # The first chunk completes the declared length: stop
                    # here and send one HEAD_END.
                    self._hold_or_send(chunk)
                    return
            if not self._send(chunk):
                return

    def _finish(self):
        """The stream's last frame after a successful response."""
        s = self.s
        head = self.head
        if head is None:
            raise RuntimeError("the application returned without calling start_response()")
        self.ch.streams.pop(s.sid, None)
        if s.cancelled:
            self.ch.final(HEADER.pack(9, ABORT, s.sid) + b"cancelled", s)
            return
        if self.head_sent:
            self.ch.final(HEADER.pack(0, END, s.sid), s)
            return
        body = self.pending or b""
        first = HEAD_HEADER.pack(4 + len(head) + len(body), HEAD_END, s.sid, len(head)) + head
        if len(body) <= _JOIN_LIMIT:
            self.ch.final(first + body, s)
        else:
            self.ch.send_parts(first, body)

    def run(self, app):
        error = None
        close = None
        try:
            result = app(self.env, self.start_response)
            if type(result) is list and self.head is not None and not self.head_sent and not self.is_head:
                # Hot path: a plain list (no close()) with the headers known
                # becomes one HEAD_END in one sendall.
                if len(result) == 1:
                    body = result[0]
                else:
                    body = b"".join([c for c in result if c])
                s = self.s
                if type(body) is bytes and len(body) <= _JOIN_LIMIT and not s.cancelled:
                    cl = self.cl
                    if cl is not None and len(body) > cl:
                        body = body[:cl]
                    n = len(body)
                    if n <= s.granted - s.used:
                        s.used += n
                        self.ch.streams.pop(s.sid, None)
                        head = self.head
                        self.ch.final(HEAD_HEADER.pack(4 + len(head) + n, HEAD_END, s.sid, len(head))
                                      + head + body, s)
                        return
                self._hold_list(result)
                self._finish()
                return
            close = getattr(result, "close", None)
            self._iterate(result)
        except BaseException as exc:
            error = exc
        if close is not None:
            # PEP 3333: close() "must" be called on completion, error or not;
            # docs/protocol.md: before the stream's last frame.
            try:
                close()
            except BaseException as exc:
                if error is None:
                    error = exc
                else:
                    self._log_error("close() of the response iterable failed", exc)
        if error is None:
            try:
                self._finish()
                return
            except BaseException as exc:
                error = exc
        self._abort(error)

    def _log_error(self, message, exc):
        env = self.env
        log.error("%s in %s %s:\n%s" % (
            message, env.get("REQUEST_METHOD"), env.get("RAW_URI"),
            "".join(traceback.format_exception(type(exc), exc, exc.__traceback__)).rstrip()))

    def _abort(self, exc):
        s = self.s
        if isinstance(exc, WorkerSilent):
            env = self.env
            log.warning("%s %s: %s; the stream is aborted" % (env.get("REQUEST_METHOD"), env.get("RAW_URI"), exc))
        elif s.cancelled or isinstance(exc, Cancelled):
            env = self.env
            log.debug("%s %s ended early: %s" % (env.get("REQUEST_METHOD"), env.get("RAW_URI"), _one_line(exc)))
        elif s.body_error is not None:
            # The client never sent the whole body: its fault, not the app's
            # (the worker answers 400); one line, no traceback.
            env = self.env
            log.info("%s %s: request body incomplete (%s); the application raised %s" % (
                env.get("REQUEST_METHOD"), env.get("RAW_URI"), s.body_error, _one_line(exc)))
        else:
            self._log_error("application error", exc)
        self.ch.streams.pop(s.sid, None)
        reason = _one_line(exc).encode("utf-8", "backslashreplace")
        self.ch.final(HEADER.pack(len(reason), ABORT, s.sid) + reason, s)
