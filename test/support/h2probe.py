"""A raw HTTP/2 client for test/server/http2-attacks.test.ts: sends the frames
of one scenario, some of them malformed or abusive on purpose (which h2's own
connection object would refuse to send), and prints what the server answered
as one JSON object: the frames it sent (type, stream, status, error code) and
whether it closed the connection.

usage: h2probe.py PORT SCENARIO [ARG]
Built on hyperframe and hpack (python3-h2's dependencies), stdlib otherwise.
"""
import json
import socket
import sys
import time

from hpack import Decoder, Encoder
from hyperframe.frame import (ContinuationFrame, DataFrame, Frame, GoAwayFrame, HeadersFrame, PingFrame,
                              RstStreamFrame, SettingsFrame, WindowUpdateFrame)

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


class Probe:
    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.enc = Encoder()
        self.dec = Decoder()
        self.buf = b""
        self.frames = []
        self.closed = False
        self.send(PREFACE + SettingsFrame(0).serialize())

    def send(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def headers(self, sid, fields, end_stream=True):
        """HEADERS, and CONTINUATION frames for a block over the default 16 KiB frame size."""
        block = self.enc.encode(fields)
        pieces = [block[i:i + 16384] for i in range(0, len(block), 16384)] or [b""]
        f = HeadersFrame(sid)
        f.data = pieces[0]
        if end_stream:
            f.flags.add("END_STREAM")
        out = [f]
        for piece in pieces[1:]:
            c = ContinuationFrame(sid)
            c.data = piece
            out.append(c)
        out[-1].flags.add("END_HEADERS")
        return b"".join(x.serialize() for x in out)

    def request(self, sid, path="/echo", method="GET", extra=(), end_stream=True):
        fields = [(":method", method), (":scheme", "http"), (":authority", "localhost"), (":path", path)]
        return self.headers(sid, fields + list(extra), end_stream)

    def data(self, sid, payload, end_stream=False):
        f = DataFrame(sid)
        f.data = payload
        if end_stream:
            f.flags.add("END_STREAM")
        return f.serialize()

    def read(self, seconds, until=None):
        """Reads frames for up to `seconds`, or until the connection closes or `until(frames)` holds."""
        deadline = time.time() + seconds
        while not self.closed and time.time() < deadline:
            if until is not None and until(self.frames):
                break
            self.sock.settimeout(max(0.01, min(0.2, deadline - time.time())))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                self.closed = True
                break
            if not chunk:
                self.closed = True
                break
            self.buf += chunk
            self.parse()

    def parse(self):
        while len(self.buf) >= 9:
            frame, length = Frame.parse_frame_header(memoryview(self.buf[:9]))
            if len(self.buf) < 9 + length:
                return
            frame.parse_body(memoryview(self.buf[9:9 + length]))
            self.buf = self.buf[9 + length:]
            self.record(frame)

    def record(self, frame):
        kind = type(frame).__name__.replace("Frame", "").upper()
        out = {"type": kind, "stream": frame.stream_id}
        if isinstance(frame, (HeadersFrame, ContinuationFrame)):
            try:
                fields = self.dec.decode(frame.data)
                out["headers"] = {k.decode() if isinstance(k, bytes) else k: v.decode() if isinstance(v, bytes) else v for k, v in fields}
                out["status"] = out["headers"].get(":status")
            except Exception as exc:  # noqa: BLE001 - a decoding failure is a finding, reported
                out["decode_error"] = str(exc)
        elif isinstance(frame, RstStreamFrame):
            out["error"] = frame.error_code
        elif isinstance(frame, GoAwayFrame):
            out["error"] = frame.error_code
            out["last"] = frame.last_stream_id
        elif isinstance(frame, DataFrame):
            out["length"] = len(frame.data)
            out["end"] = "END_STREAM" in frame.flags
            if frame.data:
                # Keep the connection's window open so responses are not held back by us.
                self.send(WindowUpdateFrame(0, len(frame.data)).serialize() + WindowUpdateFrame(frame.stream_id, len(frame.data)).serialize())
        elif isinstance(frame, SettingsFrame):
            out["ack"] = "ACK" in frame.flags
            if "ACK" not in frame.flags:
                self.send(SettingsFrame(0, flags=["ACK"]).serialize())
            out["settings"] = {str(k): v for k, v in frame.settings.items()}
        elif isinstance(frame, WindowUpdateFrame):
            out["increment"] = frame.window_increment
        elif isinstance(frame, PingFrame):
            out["ack"] = "ACK" in frame.flags
        if kind == "DATA" and self.frames and self.frames[-1]["type"] == "DATA" and self.frames[-1]["stream"] == frame.stream_id and not self.frames[-1]["end"]:
            self.frames[-1]["length"] += out["length"]
            self.frames[-1]["end"] = out["end"]
            return
        self.frames.append(out)

    def body(self, sid):
        return sum(f.get("length", 0) for f in self.frames if f["type"] == "DATA" and f["stream"] == sid)


def answered(sid):
    """Until stream `sid` ended (response complete, or reset)."""
    def done(frames):
        return any(f["stream"] == sid and (f["type"] == "RSTSTREAM" or f.get("end") or (f["type"] == "HEADERS" and f.get("status") in ("204", "304"))) for f in frames) \
            or any(f["type"] == "GOAWAY" for f in frames)
    return done


def main():
    port = int(sys.argv[1])
    scenario = sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else ""
    p = Probe(port)
    t0 = time.time()
    sent = None
    wait = 5.0
    until = answered(1)
    if scenario == "ok":
        p.send(p.request(1))
    elif scenario == "unknown-pseudo":
        p.send(p.request(1, extra=[(":foo", "bar")]))
    elif scenario == "uppercase":
        p.send(p.request(1, extra=[("X-Upper", "1")]))
    elif scenario == "connection-field":
        p.send(p.request(1, extra=[("connection", "keep-alive")]))
    elif scenario == "te-gzip":
        p.send(p.request(1, extra=[("te", "gzip")]))
    elif scenario == "missing-path":
        p.send(p.headers(1, [(":method", "GET"), (":scheme", "http"), (":authority", "localhost")]))
    elif scenario == "pseudo-after-regular":
        p.send(p.headers(1, [(":method", "GET"), ("x-a", "1"), (":scheme", "http"), (":path", "/echo")]))
    elif scenario == "host-mismatch":
        p.send(p.request(1, extra=[("host", "elsewhere.example")]))
    elif scenario == "cl-short":
        p.send(p.request(1, "/echo", "POST", [("content-length", "10")], end_stream=False) + p.data(1, b"12345", True))
    elif scenario == "cl-long":
        p.send(p.request(1, "/echo", "POST", [("content-length", "3")], end_stream=False) + p.data(1, b"12345", True))
    elif scenario == "big-header":
        p.send(p.request(1, extra=[("x-big", "a" * int(arg or "70000"))]))
    elif scenario == "many-headers":
        p.send(p.request(1, extra=[("x-h%d" % i, "v") for i in range(int(arg or "200"))]))
    elif scenario == "continuation-flood":
        # One HEADERS without END_HEADERS, then CONTINUATION frames that never end the block (CVE-2024-27316 class).
        block = p.enc.encode([(":method", "GET"), (":scheme", "http"), (":authority", "localhost"), (":path", "/echo")])
        h = HeadersFrame(1)
        h.data = block
        h.flags.add("END_STREAM")
        p.send(h.serialize())
        junk = Encoder()
        sent = 0
        for i in range(int(arg or "20000")):
            c = ContinuationFrame(1)
            c.data = junk.encode([("x-flood-%d" % (i % 50), "v" * 100)])
            p.send(c.serialize())
            if p.closed:
                break
            sent += 1
            if sent % 200 == 0:
                p.read(0.01)  # the server may have answered (GOAWAY) and closed already
        until = lambda frames: any(f["type"] == "GOAWAY" for f in frames)
    elif scenario == "rapid-reset":
        # HEADERS then RST_STREAM at once, over and over (CVE-2023-44487).
        n = int(arg or "5000")
        out = []
        sent = 0
        for i in range(n):
            sid = 1 + 2 * i
            out.append(p.request(sid, "/echo"))
            out.append(RstStreamFrame(sid, error_code=8).serialize())
            if len(out) >= 200:
                p.send(b"".join(out))
                sent += len(out) // 2
                out = []
            if p.closed:
                break
        p.send(b"".join(out))
        until = lambda frames: any(f["type"] == "GOAWAY" for f in frames)
        wait = 10.0
    elif scenario in ("settings-flood", "ping-flood"):
        # Many frames that each make the server queue an acknowledgement, without reading any.
        n = int(arg or "100000")
        one = SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 65535}).serialize() if scenario == "settings-flood" \
            else PingFrame(0, opaque_data=b"12345678").serialize()
        p.sock.settimeout(10)
        sent = 0
        for _ in range(n // 100):
            p.send(one * 100)
            if p.closed:
                break
            sent += 100
        until = lambda frames: any(f["type"] == "GOAWAY" for f in frames)
    elif scenario == "empty-data-flood":
        p.send(p.request(1, "/echo", "POST", end_stream=False))
        empty = p.data(1, b"")
        sent = 0
        for _ in range(int(arg or "20000") // 100):
            p.send(empty * 100)
            if p.closed:
                break
            sent += 100
        until = lambda frames: any(f["type"] == "GOAWAY" for f in frames)
    elif scenario == "streams-over-limit":
        n = int(arg or "10")
        p.send(b"".join(p.request(1 + 2 * i, "/sleep?s=1") for i in range(n)))
        until = lambda frames: all(answered(1 + 2 * i)(frames) for i in range(n))
        wait = 15.0
    elif scenario == "upload-unread":
        # POSTs a 4 MiB body to a view that does not read it for a while, sending only as the
        # server's flow-control windows allow: how much it let in is what it holds for that request.
        total = 4 * 1024 * 1024
        p.send(p.request(1, arg or "/sleep?s=4", "POST", [("content-length", str(total))], end_stream=False))
        conn_window = stream_window = 65535
        sent = 0
        stop_at = time.time() + 2.0
        while time.time() < stop_at and sent < total:
            n = min(conn_window, stream_window, 16384, total - sent)
            if n <= 0:
                before = len(p.frames)
                p.read(0.1)
                for f in p.frames[before:]:
                    if f["type"] == "WINDOWUPDATE":
                        if f["stream"] == 0:
                            conn_window += f["increment"]
                        elif f["stream"] == 1:
                            stream_window += f["increment"]
                continue
            p.send(p.data(1, b"u" * n, end_stream=sent + n == total))
            sent += n
            conn_window -= n
            stream_window -= n
        until = lambda frames: False
        wait = 0.1
    elif scenario == "expect":
        # Expect: 100-continue: the body is sent only after a 100 (or never, if the final status comes first).
        p.send(p.request(1, arg or "/upload", "POST", [("content-length", "5"), ("expect", "100-continue")], end_stream=False))
        p.read(5, lambda frames: any(f["type"] == "HEADERS" and f["stream"] == 1 for f in frames))
        if any(f["type"] == "HEADERS" and f.get("status") == "100" for f in p.frames):
            p.send(p.data(1, b"hello", end_stream=True))
    elif scenario == "stall-body":
        # Declares 10 body bytes, sends 5 and stalls: the body timeout answers.
        p.send(p.request(1, "/upload", "POST", [("content-length", "10")], end_stream=False) + p.data(1, b"12345"))
        wait = float(arg or "10")
    elif scenario == "no-window":
        # Announces a zero stream window, asks for a big response, reads the headers and never opens the window.
        p.send(SettingsFrame(0, settings={SettingsFrame.INITIAL_WINDOW_SIZE: 0}).serialize())
        p.send(p.request(1, arg or "/download?mb=8"))
        until = answered(1)
        wait = float(sys.argv[4]) if len(sys.argv) > 4 else 10.0
    else:
        raise SystemExit("unknown scenario " + scenario)
    p.read(wait, until)
    # After an attack, is the connection still usable? A PING on a live connection is answered.
    alive = False
    if not p.closed and not any(f["type"] == "GOAWAY" for f in p.frames):
        p.send(PingFrame(0, opaque_data=b"ALIVE?!!").serialize())
        p.read(3, lambda frames: any(f["type"] == "PING" and f.get("ack") for f in frames))
        alive = any(f["type"] == "PING" and f.get("ack") for f in p.frames)
    interesting = [f for f in p.frames if f["type"] not in ("SETTINGS", "WINDOWUPDATE", "PING")]
    counts = {}
    for f in p.frames:
        counts[f["type"]] = counts.get(f["type"], 0) + 1
    print(json.dumps({"frames": interesting[:200], "counts": counts, "closed": p.closed, "alive": alive,
                      "seconds": round(time.time() - t0, 3), "body1": p.body(1), "sent": sent}))


if __name__ == "__main__":
    main()
