"""wsgi.input: the request body as the application reads it.

PEP 3333 "Input and Error Streams": read(size), readline(), readlines(hint)
and __iter__, with an end-of-file at the end of the body ("should simulate
an end-of-file condition if the application attempts to read past that
point"). We never see bytes past the body: the worker frames it.

Flow control (docs/protocol.md "Request body flow control"): the worker
sends at most ``request_window`` bytes ahead; we return consumed bytes with
WINDOW frames, batched once half the window is consumed and always before
blocking for more, so the worker is never waiting for a WINDOW we hold back.
CONTINUE goes out on the first read of a request that expects 100-continue.

The reader thread appends to ``stream.buf``; this side takes from its front
(bytearray deletes at the front in O(1)). While the body is still arriving
both sides hold ``stream.mutex``; once BODY_END is in, nobody else writes and
reads take no lock at all (the common small-body case).
"""

from .protocol import CONTINUE, HEADER, U32, WINDOW



class InputError(IOError):
    """The request body cannot be read to its end (BODY_ERROR or CANCEL)."""


class Input(object):
    __slots__ = ("_s", "_ch", "_continue", "_unreported", "_batch")

    def __init__(self, stream, channel, expect_continue):
        self._s = stream
        self._ch = channel
        self._continue = expect_continue
        self._unreported = 0
        self._batch = max(1, channel.request_window // 2)

    # ------------------------------------------------------------ internals

    def _send_continue(self):
        self._continue = False
        s = self._s
        self._ch.send(HEADER.pack(0, CONTINUE, s.sid))

    def _consumed(self, n):
        s = self._s
        if s.body_done:
            return  # the worker sends nothing more; no allowance to return
        self._unreported += n
        if self._unreported >= self._batch:
            self._flush_window()

    def _flush_window(self):
        n = self._unreported
        self._unreported = 0
        s = self._s
        if n and not s.body_done and s.body_error is None and not s.cancelled:
            self._ch.send(HEADER.pack(4, WINDOW, s.sid) + U32.pack(n))

    def _take(self, limit, line):
        """Take up to ``limit`` buffered bytes (None: all), stopping after the
        first newline when ``line``. Returns b'' when nothing is buffered."""
        s = self._s
        if s.body_done:
            return _take(s.buf, limit, line)
        with s.mutex:
            return _take(s.buf, limit, line)

    def _more(self):
        """Wait until bytes are buffered (True) or the body ended (False);
        raise InputError when it can never complete."""
        s = self._s
        if self._unreported:
            self._flush_window()
        if not s.buf and not s.body_done:
            self._ch.flush()
            s.wait(lambda: s.buf or s.body_done or s.body_error is not None or s.cancelled)
        if s.buf:
            return True
        if s.body_done:
            return False
        if s.body_error is not None:
            raise InputError("request body failed: %s" % s.body_error)
        raise InputError("request cancelled: the client is gone")

    # ------------------------------------------------------------ PEP 3333 API

    def _limit(self, size):
        """The first read asks for 100 Continue; returns None for "no limit"."""
        if self._continue:
            self._send_continue()
        return None if size is None or size < 0 else size

    def read(self, size=-1):
        limit = self._limit(size)
        if limit == 0:
            return b""
        s = self._s
        # Hot path: the whole body is here (small POST bodies usually are).
        if s.body_done and (limit is None or limit >= len(s.buf)):
            data = bytes(s.buf)
            del s.buf[:]
            return data
        return self._collect(limit, False)

    def readline(self, size=-1):
        limit = self._limit(size)
        if limit == 0:
            return b""
        return self._collect(limit, True)

    def _collect(self, limit, line):
        """Up to `limit` bytes (None: no limit), stopping after b"\\n" when
        `line`; waits for more body as needed, b"" at the end of the body."""
        parts = []
        while True:
            data = self._take(limit, line)
            if data:
                parts.append(data)
                self._consumed(len(data))
                if line and data[-1:] == b"\n":
                    break
                if limit is not None:
                    limit -= len(data)
                    if not limit:
                        break
            if not self._more():
                break
        if len(parts) == 1:
            return parts[0]
        return b"".join(parts)

    def readlines(self, hint=-1):
        # PEP 3333: the hint is optional for the implementer; honouring it
        # (stop once the total reaches it) is what io.IOBase does.
        lines = []
        total = 0
        while True:
            line = self.readline()
            if not line:
                break
            lines.append(line)
            total += len(line)
            if hint is not None and 0 < hint <= total:
                break
        return lines

    def __iter__(self):
        return self

    def __next__(self):
        line = self.readline()
        if not line:
            raise StopIteration
        return line


def _take(buf, limit, line):
    n = len(buf)
    if not n:
        return b""
    if limit is not None and limit < n:
        n = limit
    if line:
        i = buf.find(b"\n", 0, n)
        if i >= 0:
            n = i + 1
    if n == len(buf):
        data = bytes(buf)
        del buf[:]
        return data
    with memoryview(buf) as view:
        data = view[:n].tobytes()
    del buf[:n]
    return data


class EmptyInput(object):
    """wsgi.input of a request without a body (no flag ``b``): always at EOF,
    sends nothing. Stateless, so one instance serves every such request."""

    __slots__ = ()

    def read(self, size=-1):
        return b""

    def readline(self, size=-1):
        return b""

    def readlines(self, hint=-1):
        return []

    def __iter__(self):
        return self

    def __next__(self):
        raise StopIteration


EMPTY_INPUT = EmptyInput()
