#!/usr/bin/env python3
"""An HTTP/1.1 -> HTTP/2 client adapter, so the shared conformance suite (which
speaks raw HTTP/1.1) can judge the server's HTTP/2 side: each HTTP/1.1
request the suite sends becomes one h2c stream to the server (python3-h2),
and the stream's response goes back framed as HTTP/1.1.

usage: h2_adapter.py HOST PORT -- SERVER COMMAND WITH INNERPORT ...
Starts the server with INNERPORT replaced by a free port, then listens on
HOST:PORT. What the adapter frames (chunked vs close, 100 Continue to
HTTP/1.0, malformed HTTP/1.1) is its own doing, not the server's: see
test/conformance.py --h2 for the cases that judge those.
"""
import http.client
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import (ConnectionTerminated, DataReceived, InformationalResponseReceived, ResponseReceived,
                       StreamEnded, StreamReset, TrailersReceived, WindowUpdated)
from h2.exceptions import ProtocolError

HOP = {b"connection", b"keep-alive", b"proxy-connection", b"transfer-encoding", b"upgrade", b"host", b"te"}


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Upstream:
    """One h2c connection to the server, for one client connection; one request at a time."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.conn = H2Connection(H2Configuration(client_side=True, header_encoding=None, validate_outbound_headers=False,
                                                 normalize_outbound_headers=False, validate_inbound_headers=False))
        self.lock = threading.Condition()
        self.conn.initiate_connection()
        self.conn.increment_flow_control_window(2 ** 30)
        self.flush()
        self.current = None  # the Exchange in progress: the pump writes its events to the client as they come
        self.dead = False
        threading.Thread(target=self.pump, daemon=True).start()

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            self.sock.sendall(data)

    def pump(self):
        while True:
            try:
                data = self.sock.recv(65536)
            except OSError:
                data = b""
            with self.lock:
                if not data:
                    self.dead = True
                    if self.current is not None and not self.current.done:
                        self.current.deliver(ConnectionTerminated())
                    self.lock.notify_all()
                    return
                try:
                    events = self.conn.receive_data(data)
                except ProtocolError:
                    events = [ConnectionTerminated()]
                for e in events:
                    if isinstance(e, DataReceived):
                        self.conn.acknowledge_received_data(e.flow_controlled_length, e.stream_id)
                    cur = self.current
                    if cur is not None and not cur.done and getattr(e, "stream_id", cur.sid) in (cur.sid, 0, None) \
                            and not isinstance(e, WindowUpdated):
                        cur.deliver(e)
                try:
                    self.flush()
                except OSError:
                    pass
                self.lock.notify_all()


class Exchange:
    def __init__(self, client, up, sid, method, version, close):
        self.client, self.up, self.sid, self.method = client, up, sid, method
        self.version, self.close = version, close
        self.headers_sent = False
        self.chunked = False
        self.done = False
        self.cut = False

    def handle(self, e):
        """Writes what event `e` of our stream means to the client (called with the lock held)."""
        w = self.client.sendall
        if isinstance(e, InformationalResponseReceived):
            if self.version == "HTTP/1.1":
                w(b"HTTP/1.1 100 Continue\r\n\r\n")
        elif isinstance(e, ResponseReceived):
            status = int(dict(e.headers)[b":status"])
            fields = [(k, v) for k, v in e.headers if not k.startswith(b":")]
            names = {k.lower() for k, _ in fields}
            no_body = self.method == "HEAD" or status in (204, 304) or status < 200
            head = b"HTTP/1.1 %d %s\r\n" % (status, http.client.responses.get(status, "Unknown").encode())
            for k, v in fields:
                head += k + b": " + v + b"\r\n"
            if not no_body and b"content-length" not in names:
                if self.version == "HTTP/1.1":
                    self.chunked = True
                    head += b"Transfer-Encoding: chunked\r\n"
                else:
                    self.close = True
            if self.close:
                head += b"Connection: close\r\n"
            w(head + b"\r\n")
            self.headers_sent = True
        elif isinstance(e, DataReceived):
            if e.data:
                w(b"%x\r\n%s\r\n" % (len(e.data), e.data) if self.chunked else e.data)
        elif isinstance(e, (StreamEnded, TrailersReceived)):
            if self.chunked:
                w(b"0\r\n\r\n")
            self.done = True
        elif isinstance(e, (StreamReset, ConnectionTerminated)):
            if not self.headers_sent:
                w(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            self.cut = self.headers_sent
            self.close = True
            self.done = True

    def deliver(self, e):
        try:
            self.handle(e)
        except OSError:
            self.close = True
            self.done = True

    def drain(self):
        with self.up.lock:
            if self.up.dead and not self.done:
                self.deliver(ConnectionTerminated())

    def send_body(self, data, end):
        """DATA as the stream's window allows; dropped once the response is complete."""
        view = memoryview(data)
        while True:
            self.drain()
            with self.up.lock:
                if self.done:
                    return
                try:
                    room = min(self.up.conn.local_flow_control_window(self.sid), self.up.conn.max_outbound_frame_size)
                except ProtocolError:
                    return  # the stream closed (the server answered and reset it)
                if room <= 0 and len(view) > 0:
                    self.up.lock.wait(0.05)
                    continue
                piece, view = view[:room], view[room:]
                try:
                    self.up.conn.send_data(self.sid, piece.tobytes(), end_stream=end and len(view) == 0)
                    self.up.flush()
                except (ProtocolError, OSError):
                    return
                if len(view) == 0:
                    return

    def wait(self):
        while True:
            self.drain()
            with self.up.lock:
                if self.done:
                    return
                self.up.lock.wait(0.05)


def read_line(f):
    line = f.readline(65537)
    return line


def serve(client, port):
    up = None
    f = client.makefile("rb")
    try:
        while True:
            line = read_line(f)
            if not line:
                return
            if line in (b"\r\n", b"\n"):
                continue
            parts = line.decode("latin-1").rstrip("\r\n").split(" ")
            if len(parts) != 3:
                client.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                return
            method, target, version = parts
            fields = []
            while True:
                h = read_line(f)
                if h in (b"\r\n", b"\n", b""):
                    break
                name, _, value = h.partition(b":")
                fields.append((name.strip().lower(), value.strip()))
            get = lambda n: [v for k, v in fields if k == n]  # noqa: E731
            connection = b",".join(get(b"connection")).lower()
            close = b"close" in connection or (version == "HTTP/1.0" and b"keep-alive" not in connection)
            authority = (get(b"host") or [b"localhost"])[0]
            path = target
            if target.startswith("http://") or target.startswith("https://"):
                rest = target.split("://", 1)[1]
                authority, _, p = rest.partition("/")
                authority, path = authority.encode("latin-1"), "/" + p
            chunked = b"chunked" in b",".join(get(b"transfer-encoding")).lower()
            length = int((get(b"content-length") or [b"0"])[0]) if not chunked else None
            has_body = chunked or (length or 0) > 0
            if up is None or up.dead:
                up = Upstream(port)
            headers = [(b":method", method.encode()), (b":scheme", b"http"), (b":authority", authority),
                       (b":path", path.encode("latin-1"))]
            headers += [(k, v) for k, v in fields if k not in HOP or (k == b"te" and v.lower() == b"trailers")]
            with up.lock:
                sid = up.conn.get_next_available_stream_id()
                ex = Exchange(client, up, sid, method, version, close)
                up.current = ex
                up.conn.send_headers(sid, headers, end_stream=not has_body)
                up.flush()
            if chunked:
                while True:
                    size_line = read_line(f)
                    size = int(size_line.split(b";")[0].strip() or b"0", 16)
                    if size == 0:
                        while read_line(f) not in (b"\r\n", b"\n", b""):
                            pass
                        ex.send_body(b"", True)
                        break
                    data = f.read(size)
                    f.read(2)
                    ex.send_body(data, False)
            elif has_body:
                left = length
                while left > 0:
                    # Expect: 100-continue: the client sends once the server's 100 (relayed by drain) arrives.
                    data = f.read1(min(65536, left)) if hasattr(f, "read1") else f.read(min(65536, left))
                    if not data:
                        return
                    left -= len(data)
                    ex.send_body(data, left == 0)
            ex.wait()
            if ex.cut:
                client.shutdown(socket.SHUT_RDWR)
                return
            if ex.close:
                return
    except (OSError, ValueError):
        return
    finally:
        try:
            client.close()
        except OSError:
            pass
        if up is not None:
            try:
                up.sock.close()
            except OSError:
                pass


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    cmd = sys.argv[sys.argv.index("--") + 1:]
    inner = free_port()
    server = subprocess.Popen([a.replace("INNERPORT", str(inner)) for a in cmd])
    signal.signal(signal.SIGTERM, lambda *_: (server.terminate(), os._exit(0)))
    signal.signal(signal.SIGINT, lambda *_: (server.terminate(), os._exit(0)))
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            socket.create_connection(("127.0.0.1", inner), timeout=1).close()
            break
        except OSError:
            if server.poll() is not None:
                sys.exit(server.returncode)
            time.sleep(0.1)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(512)
    while True:
        client, _ = listener.accept()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        threading.Thread(target=serve, args=(client, inner), daemon=True).start()


if __name__ == "__main__":
    main()
