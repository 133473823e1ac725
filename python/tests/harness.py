"""A fake worker: starts a real host with the real bootstrap over a real
socket pair (fd 3), speaks frames to it, and collects what it sends.

Used by the host tests and by python/bench_host.py.
"""

import fcntl
import json
import os
import select
import shutil
import socket
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON_DIR = os.path.dirname(HERE)
APPS_DIR = os.path.join(HERE, "apps")

if PYTHON_DIR not in sys.path:
    sys.path.insert(0, PYTHON_DIR)

from yimmo_host import BOOTSTRAP  # noqa: E402
from yimmo_host import protocol as P  # noqa: E402


def bootstrap_code():
    return BOOTSTRAP.format(dir=json.dumps(PYTHON_DIR))


class Response(object):
    """The frames a stream received, decoded."""

    def __init__(self, sid):
        self.sid = sid
        self.frames = []
        self.status = None
        self.headers = None
        self.body = b""
        self.ended = None       # HEAD_END / END / ABORT
        self.abort_reason = None

    @property
    def types(self):
        return [P.NAMES[t] for t, _ in self.frames]

    def header(self, name):
        for n, v in self.headers or ():
            if n.lower() == name.lower():
                return v
        return None

    def add(self, ftype, payload):
        self.frames.append((ftype, payload))
        if ftype in (P.HEAD, P.HEAD_END):
            head, body = P.decode_head_payload(payload)
            self.status, self.headers = P.decode_response_head(head)
            self.body += body
        elif ftype == P.DATA:
            self.body += payload
        elif ftype == P.ABORT:
            self.abort_reason = payload.decode("utf-8")
        if ftype in (P.HEAD_END, P.END, P.ABORT):
            self.ended = P.NAMES[ftype]


class Host(object):
    """One host process and our end of its bridge socket."""

    def __init__(self, app, threads=2, request_window=65536, response_window=1 << 20,
                 log_level="DEBUG", multiprocess=False, cwd=APPS_DIR, env=None, python=None,
                 direct_timeout=None, handoff=False):
        self.options = {
            "protocol": 1, "app": app, "threads": threads, "multiprocess": multiprocess,
            "log_level": log_level, "request_window": request_window,
            "response_window": response_window,
        }
        if direct_timeout is not None:
            self.options["direct_timeout"] = direct_timeout
        # handoff: give the host a socket handoff channel on fd 4, as Node's
        # IPC channel is (self.ipc is our end); see test_handoff.py.
        self.ipc = None
        self.state_dir = tempfile.mkdtemp(prefix="yimmo-host-test-")
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        child_fd = theirs.fileno()
        if child_fd == 3:  # posix_spawn's dup2(3, 3) would keep O_CLOEXEC on old libcs
            child_fd = fcntl.fcntl(theirs.fileno(), fcntl.F_DUPFD_CLOEXEC, 10)
        err_r, err_w = os.pipe()
        actions = []
        ipc_theirs = None
        if handoff:
            self.ipc, ipc_theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
            # Above 4, so that neither dup2 to 3 nor to 4 clobbers it first.
            moved = fcntl.fcntl(ipc_theirs.fileno(), fcntl.F_DUPFD_CLOEXEC, 10)
            ipc_theirs.close()
            ipc_theirs = socket.socket(fileno=moved)
            actions.append((os.POSIX_SPAWN_DUP2, moved, 4))
        environ = dict(os.environ)
        environ.pop("NODE_CHANNEL_FD", None)
        if handoff:
            environ["NODE_CHANNEL_FD"] = "4"
        environ["YIMMO_TEST_STATE"] = self.state_dir
        environ["PYTHONPATH"] = os.pathsep.join([APPS_DIR] + [p for p in [environ.get("PYTHONPATH")] if p])
        environ.pop("PYTHONSAFEPATH", None)
        if env:
            environ.update(env)
        argv = [python or sys.executable, "-c", bootstrap_code(), json.dumps(self.options)]
        old = os.getcwd()
        os.chdir(cwd)
        try:
            self.pid = os.posix_spawn(argv[0], argv, environ, file_actions=[
                (os.POSIX_SPAWN_DUP2, child_fd, 3),
                (os.POSIX_SPAWN_DUP2, err_w, 2),
            ] + actions)
        finally:
            os.chdir(old)
        if child_fd != theirs.fileno():
            os.close(child_fd)
        theirs.close()
        if ipc_theirs is not None:
            ipc_theirs.close()
        os.close(err_w)
        self.sock = ours
        self.rbuf = b""
        self.stash = []
        self.responses = {}
        self.exit_status = None
        self._stderr = []
        self._err_r = err_r
        self._err_thread = threading.Thread(target=self._drain_stderr, daemon=True)
        self._err_thread.start()

    # ------------------------------------------------------------ stderr

    def _drain_stderr(self):
        while True:
            try:
                data = os.read(self._err_r, 65536)
            except OSError:
                break
            if not data:
                break
            self._stderr.append(data)
        os.close(self._err_r)

    def stderr(self):
        return b"".join(self._stderr).decode("utf-8", "replace")

    def wait_stderr(self, text, timeout=5.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.stderr():
                return True
            time.sleep(0.01)
        return text in self.stderr()

    # ------------------------------------------------------------ frames

    def send(self, ftype, sid, payload=b""):
        self.sock.sendall(P.encode_frame(ftype, sid, payload))

    def send_raw(self, data):
        self.sock.sendall(data)

    def recv_frame(self, timeout=5.0):
        """The next frame from the host: (type, stream, payload); None at EOF."""
        deadline = time.monotonic() + timeout
        while True:
            frames, rest = P.decode_frames(self.rbuf, P.HOST_TO_WORKER)
            if frames:
                first = frames[0]
                self.rbuf = self.rbuf[P.HEADER_SIZE + len(first[2]):]
                return first
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no frame from the host within %.1fs" % timeout)
            r, _, _ = select.select([self.sock], [], [], left)
            if not r:
                continue
            data = self.sock.recv(1 << 20)
            if not data:
                return None
            self.rbuf += data

    def frame_for(self, sid, timeout=5.0):
        """The next frame of stream ``sid`` (others are kept for later)."""
        for i, f in enumerate(self.stash):
            if f[1] == sid:
                del self.stash[i]
                return f
        deadline = time.monotonic() + timeout
        while True:
            f = self.recv_frame(max(0.0, deadline - time.monotonic()))
            if f is None:
                raise EOFError("host closed the socket")
            if f[1] == sid:
                return f
            self.stash.append(f)

    def hello(self, timeout=10.0):
        f = self.recv_frame(timeout)
        if f is None:
            raise EOFError("host exited before HELLO: %s" % self.stderr())
        ftype, sid, payload = f
        if ftype == P.LOAD_ERROR:
            return ("LOAD_ERROR", payload.decode("utf-8"))
        assert ftype == P.HELLO and sid == 0, f
        return ("HELLO", json.loads(payload.decode("utf-8")))

    # ------------------------------------------------------------ requests

    def request(self, sid, method="GET", path="/", query="", headers=(), body=None,
                expect_continue=False, protocol="HTTP/1.1", scheme="http",
                remote=("127.0.0.1", 40000), server=("localhost", 8080), body_end=True,
                chunk=None, direct=False):
        """Send REQUEST (and the body as BODY frames, then BODY_END).
        ``direct``: flag d, the worker offers direct writes."""
        flags = ""
        if body is not None:
            flags += "b"
        if expect_continue:
            flags += "c"
        if direct:
            flags += "d"
        payload = P.encode_request_head(method, path, query, protocol, remote[0], remote[1],
                                        server[0], server[1], scheme, flags, headers)
        self.send(P.REQUEST, sid, payload)
        if body is not None and not expect_continue:
            self.send_body(sid, body, body_end, chunk)

    def send_body(self, sid, body, end=True, chunk=None):
        chunk = chunk or max(1, len(body))
        for i in range(0, len(body), chunk):
            self.send(P.BODY, sid, body[i:i + chunk])
        if end:
            self.send(P.BODY_END, sid)

    def response(self, sid, timeout=5.0, auto_credit=False):
        """Collect frames of ``sid`` up to its last one (HEAD_END/END/ABORT)."""
        r = Response(sid)
        deadline = time.monotonic() + timeout
        while r.ended is None:
            ftype, _, payload = self.frame_for(sid, max(0.0, deadline - time.monotonic()))
            r.add(ftype, payload)
            if auto_credit and ftype in (P.HEAD, P.DATA):
                body = P.decode_head_payload(payload)[1] if ftype == P.HEAD else payload
                if body:
                    self.send(P.CREDIT, sid, P.U32.pack(len(body)))
        return r

    def get(self, path, sid=1, **kw):
        query = ""
        if "?" in path:
            path, query = path.split("?", 1)
        timeout = kw.pop("timeout", 5.0)
        self.request(sid, path=path, query=query, **kw)
        return self.response(sid, timeout)

    # ------------------------------------------------------------ state dir (markers)

    def marker(self, name):
        path = os.path.join(self.state_dir, name)
        if not os.path.exists(path):
            return None
        with open(path) as fh:
            return fh.read()

    # ------------------------------------------------------------ shutdown

    def wait_exit(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while self.exit_status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.exit_status = os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") \
                    else (os.WEXITSTATUS(status) if os.WIFEXITED(status) else -os.WTERMSIG(status))
                break
            if time.monotonic() > deadline:
                raise TimeoutError("host did not exit within %.1fs" % timeout)
            time.sleep(0.005)
        return self.exit_status

    def cleanup(self):
        """For addCleanup: end the host whatever state it is in."""
        try:
            self.sock.close()
        except OSError:
            pass
        if self.exit_status is None:
            try:
                self.close()
            except TimeoutError:
                pass
        self._err_thread.join(2.0)
        shutil.rmtree(self.state_dir, ignore_errors=True)

    def close(self, timeout=5.0):
        """Close our end (the worker is gone) and wait for the host to exit."""
        try:
            self.sock.close()
        except OSError:
            pass
        try:
            return self.wait_exit(timeout)
        except TimeoutError:
            os.kill(self.pid, 9)
            self.wait_exit(5.0)
            raise
        finally:
            self._err_thread.join(2.0)
            shutil.rmtree(self.state_dir, ignore_errors=True)


class HostTestCase(__import__("unittest").TestCase):
    """A test class sharing one host (started in setUpClass)."""

    APP = "basic:app"
    HOST_OPTIONS = {}
    host = None

    @classmethod
    def setUpClass(cls):
        cls.host = Host(cls.APP, **cls.HOST_OPTIONS)
        kind, info = cls.host.hello()
        if kind != "HELLO":
            raise RuntimeError("host did not start: %s" % (info,))
        cls.hello_info = info
        cls._next_sid = 0

    @classmethod
    def tearDownClass(cls):
        if cls.host is not None:
            cls.host.close()

    def sid(self):
        type(self)._next_sid += 1
        return type(self)._next_sid

    def token(self):
        return "t%d" % self.sid()

    def get(self, path, **kw):
        return self.host.get(path, sid=self.sid(), **kw)

    def assertNoFrame(self, sid, wait=0.3):
        """Nothing arrives for ``sid`` within ``wait`` seconds."""
        try:
            f = self.host.frame_for(sid, wait)
        except TimeoutError:
            return
        self.fail("unexpected frame %s" % (P.NAMES.get(f[0]),))
