"""Starting the host: HELLO, LOAD_ERROR, application specs, signals, exit
(docs/protocol.md "Starting up")."""

import os
import signal
import sys
import tempfile
import time
import unittest

from .harness import Host, P


class Startup(unittest.TestCase):
    def start(self, app, **kw):
        host = Host(app, **kw)
        self.addCleanup(host.cleanup)
        return host

    def load_error(self, app):
        host = self.start(app)
        kind, message = host.hello()
        self.assertEqual(kind, "LOAD_ERROR")
        self.assertEqual(host.wait_exit(10), 3)
        return message, host

    def test_host_says_hello_with_protocol_pid_python_executable_and_threads(self):
        host = self.start("minimal:app", threads=3)
        kind, hello = host.hello()
        self.assertEqual(kind, "HELLO")
        self.assertEqual(hello["protocol"], 1)
        self.assertEqual(hello["pid"], host.pid)
        self.assertEqual(hello["threads"], 3)
        self.assertEqual(hello["python"], "%d.%d.%d" % sys.version_info[:3])
        self.assertEqual(os.path.realpath(hello["executable"]), os.path.realpath(sys.executable))
        self.assertEqual(host.get("/").body, b"Hello, world!")

    def test_missing_module_gives_a_one_line_load_error_and_exit_status_3(self):
        message, host = self.load_error("nope:app")
        self.assertEqual(message, "cannot import module 'nope': ModuleNotFoundError: No module named 'nope'")
        self.assertIn("ERROR importing 'nope' failed:\nTraceback", host.stderr())  # at the default level

    def test_module_that_raises_while_importing_gives_a_load_error(self):
        message, _ = self.load_error("broken:app")
        self.assertEqual(message, "cannot import module 'broken': RuntimeError: broken on purpose")

    def test_undefined_name_gives_a_cannot_evaluate_load_error(self):
        message, _ = self.load_error("minimal:nope")
        self.assertEqual(message, "cannot evaluate 'nope' in module 'minimal': NameError: name 'nope' is not defined")

    def test_syntax_error_in_the_expression_gives_a_cannot_evaluate_load_error(self):
        message, _ = self.load_error("minimal:app(")
        self.assertTrue(message.startswith("cannot evaluate 'app(' in module 'minimal': SyntaxError"), message)
        self.assertNotIn("\n", message)

    def test_non_callable_object_gives_a_not_callable_load_error(self):
        message, _ = self.load_error("notcallable:app")
        self.assertEqual(message, "'notcallable:app' is not callable (got int)")

    def test_factory_call_expression_is_evaluated_in_the_module(self):
        host = self.start('factory:create_app("x")')
        self.assertEqual(host.hello()[0], "HELLO")
        self.assertEqual(host.get("/").body, b"made by create_app('x')")

    def test_dotted_attribute_and_lambda_expressions_work(self):
        host = self.start("factory:holder.app")
        self.assertEqual(host.hello()[0], "HELLO")
        self.assertEqual(host.get("/").body, b"attribute")
        host = self.start("minimal:lambda environ, start_response: app(environ, start_response)")
        self.assertEqual(host.hello()[0], "HELLO")
        self.assertEqual(host.get("/").body, b"Hello, world!")

    def test_module_in_the_current_directory_is_found_first(self):
        cwd = tempfile.mkdtemp(prefix="yimmo-cwd-")
        with open(os.path.join(cwd, "minimal.py"), "w") as fh:
            fh.write("def app(environ, start_response):\n"
                     "    start_response('200 OK', [])\n"
                     "    return [b'from cwd']\n")
        host = self.start("minimal:app", cwd=cwd)  # tests/apps/minimal.py is on PYTHONPATH too
        self.assertEqual(host.hello()[0], "HELLO")
        self.assertEqual(host.get("/").body, b"from cwd")

    def test_host_exits_with_status_0_when_the_worker_closes_the_socket(self):
        host = self.start("minimal:app")
        host.hello()
        started = time.monotonic()
        self.assertEqual(host.close(), 0)
        self.assertLess(time.monotonic() - started, 2.0)

    def test_host_ignores_sigterm_and_sigint_because_the_worker_decides(self):
        host = self.start("minimal:app")
        host.hello()
        os.kill(host.pid, signal.SIGTERM)
        os.kill(host.pid, signal.SIGINT)
        time.sleep(0.2)
        self.assertEqual(host.get("/").body, b"Hello, world!")

    def test_host_exits_on_a_frame_longer_than_16_mib(self):
        host = self.start("minimal:app")
        host.hello()
        host.send_raw(P.HEADER.pack(P.MAX_PAYLOAD + 1, P.BODY, 1))
        self.assertEqual(host.wait_exit(5), 0)

    def test_host_exits_on_an_unknown_frame_type(self):
        host = self.start("minimal:app")
        host.hello()
        host.send(0x7E, 1, b"")
        self.assertEqual(host.wait_exit(5), 0)

    def test_host_exits_on_a_request_for_a_stream_that_is_open(self):
        host = self.start("basic:app")
        host.hello()
        host.request(5, path="/block")
        host.request(5, path="/block")
        self.assertEqual(host.wait_exit(5), 0)

    def test_host_logs_protocol_errors_before_it_exits(self):
        host = self.start("minimal:app")
        host.hello()
        host.send(P.CREDIT, 1, b"\0\0")
        self.assertEqual(host.wait_exit(5), 0)
        self.assertTrue(host.wait_stderr("ERROR bridge protocol error: CREDIT payload of 2 bytes"))

    def test_host_exits_on_a_malformed_request_head(self):
        host = self.start("minimal:app")
        host.hello()
        host.send(P.REQUEST, 1, b"GET\0/")
        self.assertEqual(host.wait_exit(5), 0)
        self.assertTrue(host.wait_stderr("ERROR bridge protocol error: malformed REQUEST"))

    def test_frames_for_unknown_streams_are_ignored(self):
        host = self.start("minimal:app")
        host.hello()
        for ftype, payload in ((P.BODY, b"x"), (P.BODY_END, b""), (P.CREDIT, b"\0\0\0\1"),
                               (P.CANCEL, b""), (P.FILE_DONE, b"\1"), (P.DUMP_STACK, b"")):
            host.send(ftype, 99, payload)
        self.assertEqual(host.get("/", sid=99).body, b"Hello, world!")

    def test_bootstrap_string_is_the_documented_one(self):
        from yimmo_host import BOOTSTRAP
        self.assertEqual(BOOTSTRAP, "import sys; sys.path.append({dir}); "
                                    "from yimmo_host.main import main; main()")


if __name__ == "__main__":
    unittest.main()
