"""The environ the application sees (PEP 3333 "environ Variables",
"Unicode Issues"; RFC 3875 4.1) and wsgi.errors."""

import json
import unittest

from .harness import HostTestCase


class Environ(HostTestCase):
    HOST_OPTIONS = {"threads": 2, "multiprocess": True}

    def environ(self, path="/environ", **kw):
        r = self.get(path, **kw)
        self.assertEqual(r.ended, "HEAD_END", r.abort_reason)
        return json.loads(r.body.decode())

    def test_request_fields_and_header_pairs_reach_environ(self):
        env = self.environ("/environ/x?a=1&b=%20", headers=[("HTTP_HOST", "example.test:8443"),
                                                             ("HTTP_X_DUP", "a, b"),
                                                             ("CONTENT_TYPE", "text/plain")],
                           protocol="HTTP/1.0", scheme="https", remote=("::1", 50123),
                           server=("example.test", 8443))
        self.assertEqual(env["REQUEST_METHOD"], "GET")
        self.assertEqual(env["SCRIPT_NAME"], "")
        self.assertEqual(env["PATH_INFO"], "/environ/x")
        self.assertEqual(env["QUERY_STRING"], "a=1&b=%20")
        self.assertEqual(env["RAW_URI"], "/environ/x?a=1&b=%20")
        self.assertEqual(env["SERVER_PROTOCOL"], "HTTP/1.0")
        self.assertEqual(env["SERVER_NAME"], "example.test")
        self.assertEqual(env["SERVER_PORT"], "8443")
        self.assertEqual(env["REMOTE_ADDR"], "::1")
        self.assertEqual(env["REMOTE_PORT"], "50123")
        self.assertEqual(env["wsgi.url_scheme"], "https")
        self.assertEqual(env["HTTP_HOST"], "example.test:8443")
        self.assertEqual(env["HTTP_X_DUP"], "a, b")
        self.assertEqual(env["CONTENT_TYPE"], "text/plain")

    def test_a_unix_socket_peer_has_an_empty_remote_addr_and_no_remote_port(self):
        # The worker sends an empty REMOTE_PORT for a peer with no address (as gunicorn, the key is left out).
        env = self.environ(remote=("", ""))
        self.assertEqual(env["REMOTE_ADDR"], "")
        self.assertNotIn("REMOTE_PORT", env)
        # And the next request on the same host, from a TCP peer, has it again.
        env = self.environ(remote=("127.0.0.1", 40000))
        self.assertEqual(env["REMOTE_PORT"], "40000")

    def test_wsgi_variables_have_the_pep_3333_types_and_values(self):
        env = self.environ()
        types = env["__types__"]
        self.assertEqual(types["wsgi.version"], "tuple")
        self.assertEqual(env["wsgi.version"], [1, 0])
        for key in ("wsgi.multithread", "wsgi.multiprocess", "wsgi.run_once"):
            self.assertEqual(types[key], "bool")
        self.assertIs(env["wsgi.multithread"], True)   # threads=2
        self.assertIs(env["wsgi.multiprocess"], True)  # from the options
        self.assertIs(env["wsgi.run_once"], False)
        self.assertEqual(env["wsgi.input"], "<EmptyInput>")
        self.assertEqual(env["wsgi.errors"], "<ErrorStream>")
        self.assertEqual(env["wsgi.file_wrapper"], "<type>")

    def test_every_cgi_value_is_a_native_latin_1_str(self):
        env = self.environ("/environ/%C3%A9", headers=[("HTTP_X_LATIN", "caf\xc3\xa9")])
        for key, value in env.items():
            if "." in key or key.startswith("__"):
                continue
            self.assertEqual(env["__types__"][key], "str", key)
            value.encode("latin-1")
        self.assertEqual(env["HTTP_X_LATIN"], "caf\xc3\xa9")

    def test_path_info_is_percent_decoded_as_latin_1(self):
        env = self.environ("/environ/a%20b/%C3%A9/%2F/%zz")
        self.assertEqual(env["PATH_INFO"], "/environ/a b/\xc3\xa9///%zz")
        self.assertEqual(env["RAW_URI"], "/environ/a%20b/%C3%A9/%2F/%zz")

    def test_raw_non_ascii_path_bytes_stay_latin_1_code_points(self):
        env = self.environ("/environ/\xc3\xa9%20")
        self.assertEqual(env["PATH_INFO"], "/environ/\xc3\xa9 ")

    def test_request_with_a_body_gets_a_real_input_stream(self):
        env = self.environ(method="POST", body=b"abc")
        self.assertEqual(env["wsgi.input"], "<Input>")

    def test_wsgi_errors_lines_go_to_the_log_in_the_server_format(self):
        r = self.get("/errors")
        self.assertEqual(r.body, b"ok")
        for text in ("errors-line-one", "errors-line-two", "partial"):
            self.assertTrue(self.host.wait_stderr("ERROR " + text + "\n"), text)
        line = [l for l in self.host.stderr().splitlines() if l.endswith("ERROR errors-line-one")][0]
        self.assertRegex(line, r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[%d\] ERROR " % self.host.pid)


class SingleThread(HostTestCase):
    HOST_OPTIONS = {"threads": 1}

    def test_one_thread_means_multithread_false_and_multiprocess_defaults_false(self):
        env = json.loads(self.get("/environ").body.decode())
        self.assertIs(env["wsgi.multithread"], False)
        self.assertIs(env["wsgi.multiprocess"], False)


if __name__ == "__main__":
    unittest.main()
