"""Turn a stream into an environ and run it: the per-request entry point of
the application threads.

environ (PEP 3333 "environ Variables") is a copy of a prebuilt base dict
completed from the REQUEST payload (docs/protocol.md "REQUEST payload");
the header pairs arrive as ready environ entries.
"""

import os
import sys
import threading
import time
import traceback
from urllib.parse import unquote_to_bytes

from . import log
from .error_stream import ErrorStream
from .file_wrapper import FileWrapper
from .input import EMPTY_INPUT, Input
from .protocol import ABORT, HEADER, REQUEST_FIXED_FIELDS, ProtocolError
from .wsgi import Response

_monotonic = time.monotonic


class Handler(object):
    """Turns streams into environ + Response; one per host, shared by the
    application threads (it holds no per-request state)."""

    def __init__(self, channel, app, threads, multiprocess):
        self.ch = channel
        self.app = app
        # PEP 3333 "environ Variables": the per-process part, copied per request.
        self.base = {
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": EMPTY_INPUT,
            "wsgi.errors": ErrorStream(),
            "wsgi.multithread": threads > 1,
            "wsgi.multiprocess": bool(multiprocess),
            "wsgi.run_once": False,
            "wsgi.file_wrapper": FileWrapper,
            # Our input ends at the body's end even without CONTENT_LENGTH
            # (chunked requests); Werkzeug and others read it only if told.
            "wsgi.input_terminated": True,
            "SCRIPT_NAME": "",
        }
        # Every per-request key is present already, so the copy has its
        # final size and the stores below never resize it.
        for key in ("REQUEST_METHOD", "PATH_INFO", "RAW_URI", "QUERY_STRING",
                    "SERVER_PROTOCOL", "REMOTE_ADDR", "REMOTE_PORT",
                    "SERVER_NAME", "SERVER_PORT"):
            self.base[key] = ""

    def environ(self, stream):
        fields = stream.payload.decode("latin-1").split("\0")
        n = len(fields)
        if n < REQUEST_FIXED_FIELDS or n % 2:
            raise ProtocolError("malformed REQUEST payload (%d fields)" % n)
        env = self.base.copy()
        method, path, query = fields[0], fields[1], fields[2]
        env["REQUEST_METHOD"] = method
        # PEP 3333 / RFC 3875 4.1.5: PATH_INFO is the decoded path, as
        # latin-1 bytes-in-unicode (never UTF-8: the app decodes).
        if "%" in path:
            env["PATH_INFO"] = unquote_to_bytes(path.encode("latin-1")).decode("latin-1")
        else:
            env["PATH_INFO"] = path
        # RAW_URI (gunicorn, Werkzeug): the request-target as sent.
        env["RAW_URI"] = path + "?" + query if query else path
        env["QUERY_STRING"] = query
        env["SERVER_PROTOCOL"] = fields[3]
        env["REMOTE_ADDR"] = fields[4]
        if fields[5]:
            env["REMOTE_PORT"] = fields[5]
        else:
            # A Unix-socket peer has no port: left out, as gunicorn does.
            del env["REMOTE_PORT"]
        env["SERVER_NAME"] = fields[6]
        env["SERVER_PORT"] = fields[7]
        env["wsgi.url_scheme"] = fields[8]
        flags = fields[9]
        stream.direct = "d" in flags
        if "b" in flags:
            env["wsgi.input"] = Input(stream, self.ch, "c" in flags)
        if n > REQUEST_FIXED_FIELDS:
            env.update(zip(fields[10::2], fields[11::2]))
        return env

    def handle(self, stream):
        ch = self.ch
        if stream.cancelled:
            # The client left while the request waited for a thread.
            ch.streams.pop(stream.sid, None)
            ch.final(HEADER.pack(9, ABORT, stream.sid) + b"cancelled", stream)
            return
        env = self.environ(stream)
        stream.env = env
        Response(ch, stream, env, env["REQUEST_METHOD"] == "HEAD").run(self.app)

    def serve(self, queue):
        """An application thread of the dedicated-reader scheme: take
        streams from the queue forever."""
        get = queue.get
        empty = queue.empty
        ch = self.ch
        greenlet = sys.modules.get("greenlet")
        if greenlet is not None and "gevent.monkey" in sys.modules:
            ch.greenlets[threading.get_ident()] = greenlet.getcurrent()
        run = self.run_stream
        while True:
            if ch._out and empty():
                ch.flush()  # nothing else to do: the outbox goes now
            run(get())

    def serve_pooled(self, pool, slot):
        """An application thread of the pool scheme (pool.py)."""
        pool.serve(slot, self.run_stream)

    def run_stream(self, stream):
        """Run one stream in this thread; never raises."""
        stream.thread = threading.get_ident()
        stream.started = now = _monotonic()
        self.ch.waits.observe(now - stream.queued)
        try:
            self.handle(stream)
        except ProtocolError as exc:
            log.error("bridge protocol error: %s" % exc)
            os._exit(0)
        except BaseException:  # a bug of ours: end the stream, keep the thread
            log.error("internal error on stream %d:\n%s" % (stream.sid, traceback.format_exc().rstrip()))
            if self.ch.streams.pop(stream.sid, None) is not None:
                self.ch.send(HEADER.pack(14, ABORT, stream.sid) + b"internal error")
        stream.thread = None
