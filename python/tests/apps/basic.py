"""Fixture application for the host tests: one behaviour per first path
segment (like the conformance suite's probe). Side effects that the test
must observe out of band (close() calls, how far a generator ran) are
recorded as marker files in $YIMMO_TEST_STATE."""

import json
import os
import sys
import tempfile
import threading
import time
from urllib.parse import parse_qs

STATE = os.environ.get("YIMMO_TEST_STATE") or tempfile.mkdtemp()


def mark(name, text="1"):
    with open(os.path.join(STATE, name), "a") as fh:
        fh.write(text + "\n")


def q(environ):
    return {k: v[-1] for k, v in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()}


class Closing(object):
    """An iterable that records its close() (and each chunk it hands out)."""

    def __init__(self, tok, chunks, delay=0.0, raise_at=None, before=None):
        self.tok = tok
        self.chunks = chunks
        self.delay = delay
        self.raise_at = raise_at
        self.before = before

    def __iter__(self):
        for i, c in enumerate(self.chunks):
            if self.raise_at is not None and i >= self.raise_at:
                raise RuntimeError("deliberate failure " + self.tok)
            if self.before:
                self.before()
            if self.delay:
                time.sleep(self.delay)
            mark("chunk-" + self.tok, str(i))
            yield c

    def close(self):
        mark("closed-" + self.tok)


class ClosingList(list):
    def close(self):
        mark("closed-" + self.tok)


def h_list(env, start_response, a):
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"hello ", b"", b"world"]


def h_gen(env, start_response, a):
    start_response("200 OK", [("Content-Type", "text/plain")])

    def gen():
        yield b"one"
        yield b"two"
        yield b"three"
    return gen()


def h_write(env, start_response, a):
    write = start_response("200 OK", [("Content-Type", "text/plain")])
    write(b"first-")
    write(b"second-")
    return [b"third"]


def h_lazy(env, start_response, a):
    def gen():
        start_response("201 Created", [("X-Lazy", "1")])
        yield b"lazy"
    return gen()


def h_empties(env, start_response, a):
    start_response("200 OK", [("Content-Type", "text/plain")])

    def gen():
        yield b""
        yield b"a"
        yield b""
        yield b"b"
        yield b""
    return gen()


def h_exc_info_replace(env, start_response, a):
    start_response("200 OK", [("X-First", "1")])
    try:
        raise ValueError("replace me")
    except ValueError:
        start_response("500 Internal Server Error", [("X-Replaced", "yes")], sys.exc_info())
    return [b"error page"]


def h_exc_info_after(env, start_response, a):
    tok = a.get("tok", "x")

    def gen():
        start_response("200 OK", [("Content-Type", "text/plain")])
        yield b"sent-"
        try:
            raise ValueError("late failure")
        except ValueError:
            start_response("500 Internal Server Error", [], sys.exc_info())
        mark("not-reraised-" + tok)
        yield b"SHOULD-NOT-APPEAR"
    return gen()


def h_raise_before(env, start_response, a):
    raise ZeroDivisionError("division by zero")


def h_raise_after_start(env, start_response, a):
    start_response("200 OK", [])
    raise RuntimeError("after start_response")


def h_closing(env, start_response, a):
    tok = a.get("tok", "x")
    mode = a.get("mode", "ok")
    n = int(a.get("n", "3"))
    chunks = [("chunk%d-" % i).encode() for i in range(n)]
    headers = [("Content-Type", "text/plain")]
    if a.get("cl"):
        headers.append(("Content-Length", a["cl"]))
    if mode == "start_lazy":
        def before(done=[]):
            if not done:
                done.append(1)
                start_response("200 OK", headers)
        return Closing(tok, chunks, before=before)
    start_response("200 OK", headers)
    if mode == "raise_first":
        return Closing(tok, chunks, raise_at=0)
    if mode == "raise_mid":
        return Closing(tok, chunks, raise_at=2)
    if mode == "slow":
        return Closing(tok, chunks, delay=float(a.get("delay", "0.2")))
    if mode == "list":
        out = ClosingList(chunks)
        out.tok = tok
        return out
    return Closing(tok, chunks)


def h_cancel_write(env, start_response, a):
    tok = a.get("tok", "x")
    write = start_response("200 OK", [])
    try:
        for i in range(200):
            write(b"x" * 10)
            time.sleep(0.02)
    except OSError as exc:
        mark("write-raised-" + tok, type(exc).__name__)
        raise
    return []


def h_status(env, start_response, a):
    start_response(a.get("s", "abc"), [("Content-Type", "text/plain")])
    return [b"bad status"]


def h_bad_header(env, start_response, a):
    kind = a.get("kind")
    headers = {
        "bytes": [(b"X-Bytes", b"v")],
        "bytes_value": [("X-Bytes", b"v")],
        "crlf": [("X-Evil", "a\r\nX-Injected: yes")],
        "lf": [("X-Evil", "a\nb")],
        "nul": [("X-Evil", "a\x00b")],
        "del": [("X-Evil", "a\x7fb")],
        "nonlatin1": [("X-Euro", "\u20ac")],
        "name_space": [("X Bad", "v")],
        "name_colon": [("X-Bad:", "v")],
        "empty_name": [("", "v")],
        "not_tuple": ["X-Str"],
        "cl_text": [("Content-Length", "12abc")],
    }[kind]
    try:
        start_response("200 OK", headers)
    except Exception as exc:
        mark("rejected-" + kind, "%s: %s" % (type(exc).__name__, exc))
        raise
    return [b"SHOULD-NOT-BE-SENT"]


def h_good_header(env, start_response, a):
    start_response("299 Custom \t Reason", [("X-Tab", "a\tb"), ("X-Latin1", "caf\xe9"),
                                            ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"),
                                            ("X-Empty", "")])
    return [b"ok"]


def h_twice(env, start_response, a):
    start_response("200 OK", [])
    start_response("201 Created", [])
    return [b"twice"]


def h_none(env, start_response, a):
    start_response("200 OK", [])
    return None


def h_no_start(env, start_response, a):
    return [b"no start_response"]


def h_str_body(env, start_response, a):
    start_response("200 OK", [])
    return ["text is not bytes"]


def h_cl_gen(env, start_response, a):
    tok = a.get("tok", "x")
    start_response("200 OK", [("Content-Length", "5")])

    def gen():
        try:
            yield b"hel"
            yield b"loEXTRA"
            mark("ran-past-cl-" + tok)
            yield b"MORE"
        finally:
            mark("gen-closed-" + tok)
    return gen()


def h_cl_first(env, start_response, a):
    start_response("200 OK", [("Content-Length", "5")])

    def gen():
        yield b"hello"
        yield b"never"
    return gen()


def _read_mode(env, a):
    inp = env["wsgi.input"]
    mode = a.get("mode", "read")
    n = int(a.get("n", "7"))
    if mode == "read":
        return [inp.read()]
    if mode == "read_none":
        return [inp.read(None)]
    if mode == "read_neg":
        return [inp.read(-1)]
    if mode == "readn":
        parts = []
        while True:
            d = inp.read(n)
            if len(d) > n:
                raise AssertionError("read(%d) returned %d bytes" % (n, len(d)))
            if not d:
                break
            parts.append(d)
        return parts
    if mode == "readline":
        parts = []
        while True:
            line = inp.readline()
            if not line:
                break
            parts.append(line)
        return parts
    if mode == "readline_n":
        parts = []
        while True:
            line = inp.readline(n)
            if len(line) > n:
                raise AssertionError("readline(%d) returned %d bytes" % (n, len(line)))
            if not line:
                break
            parts.append(line)
        return parts
    if mode == "readlines":
        return inp.readlines()
    if mode == "readlines_hint":
        lines = inp.readlines(n)
        return lines + [inp.read()]
    if mode == "iter":
        return [line for line in inp]
    if mode == "past":
        first = inp.read(10 ** 6)
        return [first, inp.read(10), inp.read(), inp.readline()]
    raise ValueError(mode)


def h_echo(env, start_response, a):
    parts = _read_mode(env, a)
    body = json.dumps([p.decode("latin-1") for p in parts]).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


def h_sum(env, start_response, a):
    """Read the body in 64 KiB pieces; report length and a checksum."""
    import hashlib
    inp = env["wsgi.input"]
    h = hashlib.sha256()
    total = 0
    size = int(a.get("size", "65536"))
    delay = float(a.get("delay", "0"))
    while True:
        d = inp.read(size)
        if not d:
            break
        h.update(d)
        total += len(d)
        if delay:
            time.sleep(delay)
    start_response("200 OK", [])
    return [json.dumps({"len": total, "sha256": h.hexdigest()}).encode()]


def h_input_error(env, start_response, a):
    try:
        env["wsgi.input"].read()
    except IOError as exc:
        start_response("200 OK", [])
        return [("caught %s: %s" % (type(exc).__name__, exc)).encode()]
    start_response("200 OK", [])
    return [b"no error"]


def h_noread(env, start_response, a):
    start_response("200 OK", [])
    return [b"did not read"]


def h_big(env, start_response, a):
    n = int(a.get("n", str(3 * 1024 * 1024)))
    body = bytes(range(256)) * (n // 256) + b"x" * (n % 256)
    start_response("200 OK", [("Content-Length", str(n))])
    if a.get("gen"):
        return iter([body])
    return [body]


def h_file(env, start_response, a):
    tok = a.get("tok", "x")
    size = int(a.get("size", "100000"))
    seek = int(a.get("seek", "0"))
    fh = tempfile.TemporaryFile()
    fh.write(bytes(range(256)) * (size // 256) + b"z" * (size % 256))
    fh.seek(seek)
    real_close = fh.close

    class F(object):
        def __getattr__(self, name):
            return getattr(fh, name)

        def close(self):
            mark("file-closed-" + tok)
            real_close()

    headers = [("Content-Type", "application/octet-stream")]
    if a.get("cl"):
        headers.append(("Content-Length", a["cl"]))
    start_response("200 OK", headers)
    return env["wsgi.file_wrapper"](F(), 4096)


def h_bytesio_file(env, start_response, a):
    import io
    start_response("200 OK", [])
    return env["wsgi.file_wrapper"](io.BytesIO(b"abc" * 5000), 4096)


def _describe(v):
    if isinstance(v, (str, bool, int)) or v is None:
        return v
    if isinstance(v, tuple):
        return list(v)
    return "<%s>" % type(v).__name__


def h_environ(env, start_response, a):
    out = {k: _describe(v) for k, v in env.items()}
    out["__types__"] = {k: type(v).__name__ for k, v in env.items()}
    body = json.dumps(out).encode()
    start_response("200 OK", [("Content-Type", "application/json")])
    return [body]


_inflight = [0, 0]
_lock = threading.Lock()


def h_sleep(env, start_response, a):
    t = float(a.get("t", "0.5"))
    if "tok" in a:
        mark("slept-" + a["tok"])  # it ran
    with _lock:
        _inflight[0] += 1
        _inflight[1] = max(_inflight[1], _inflight[0])
    start = time.time()
    time.sleep(t)
    with _lock:
        _inflight[0] -= 1
    start_response("200 OK", [])
    return [json.dumps({"start": start, "end": time.time(), "max_inflight": _inflight[1],
                        "thread": threading.get_ident()}).encode()]


def h_block(env, start_response, a):
    mark("blocking-" + a.get("tok", "x"))
    threading.Event().wait()  # forever: only the host's exit ends this
    return []


def h_big_closing(env, start_response, a):
    # A large body from an iterable with close(): one chunk that completes
    # its Content-Length (offered as a direct write), or many 64 KiB chunks
    # without one (streamed within the credit).
    tok = a.get("tok", "x")
    size = int(a.get("n", str(1 << 20)))
    if a.get("mode") == "many":
        start_response("200 OK", [])
        return Closing(tok, [b"m" * 65536] * (size // 65536))
    start_response("200 OK", [("Content-Length", str(size))])
    return Closing(tok, [b"d" * size])


def h_huge_head(env, start_response, a):
    # A head of N MiB (one field): over the host's limit it must fail this
    # response alone; mark() records whether start_response raised.
    size = int(float(a.get("mib", "9")) * (1 << 20))
    try:
        start_response("200 OK", [("X-Huge", "h" * size)])
    except ValueError:
        mark("refused-" + a.get("tok", "x"))
        raise
    return [b"small body"]


def h_errors(env, start_response, a):
    err = env["wsgi.errors"]
    err.write("errors-line-one\nerrors-")
    err.writelines(["line-two\n"])
    err.write("partial")
    err.flush()
    start_response("200 OK", [])
    return [b"ok"]


ROUTES = {
    "list": h_list, "gen": h_gen, "write": h_write, "lazy": h_lazy,
    "empties": h_empties, "exc_info_replace": h_exc_info_replace,
    "exc_info_after": h_exc_info_after, "raise_before": h_raise_before,
    "raise_after_start": h_raise_after_start, "closing": h_closing,
    "cancel_write": h_cancel_write, "status": h_status, "bad_header": h_bad_header,
    "good_header": h_good_header, "twice": h_twice, "none": h_none,
    "no_start": h_no_start, "str_body": h_str_body, "cl_gen": h_cl_gen,
    "cl_first": h_cl_first, "echo": h_echo, "sum": h_sum,
    "input_error": h_input_error, "noread": h_noread, "big": h_big, "file": h_file,
    "bytesio_file": h_bytesio_file, "environ": h_environ, "sleep": h_sleep,
    "block": h_block, "errors": h_errors, "huge_head": h_huge_head,
    "big_closing": h_big_closing,
}


def app(environ, start_response):
    seg = environ["PATH_INFO"].lstrip("/").split("/", 1)[0]
    handler = ROUTES.get(seg)
    if handler is None:
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"no route"]
    return handler(environ, start_response, q(environ))
