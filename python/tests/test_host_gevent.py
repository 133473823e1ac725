"""An application that calls gevent.monkey.patch_all() at import gets a
cooperative host (docs/protocol.md "Starting up": the app is imported before
the socket is opened and before any thread exists)."""

import json
import time
import unittest

from .harness import HostTestCase, P

try:
    import gevent  # noqa: F401
except ImportError:
    gevent = None


@unittest.skipIf(gevent is None, "gevent is not installed for this interpreter")
class Gevent(HostTestCase):
    APP = "geventapp:app"
    HOST_OPTIONS = {"threads": 4}

    def test_gevent_app_gets_greenlet_threads_and_overlapping_sleeps(self):
        sids = [self.sid() for _ in range(4)]
        started = time.monotonic()
        for sid in sids:
            self.host.request(sid, path="/sleep")
        results = [json.loads(self.host.response(sid).body.decode()) for sid in sids]
        self.assertLess(time.monotonic() - started, 1.5)  # one after another: 2 s
        self.assertTrue(results[0]["socket"].startswith("gevent"), results[0])
        self.assertTrue(results[0]["thread"].startswith("gevent"), results[0])

    def test_gevent_host_reads_request_bodies(self):
        body = b"x" * 200000
        r = self.get("/echo", method="POST", body=body, chunk=10000)
        self.assertEqual(r.body, body)


@unittest.skipIf(gevent is None, "gevent is not installed for this interpreter")
class GeventDumpStack(HostTestCase):
    APP = "geventapp:app"
    HOST_OPTIONS = {"threads": 1}

    def test_dump_stack_finds_the_stack_of_a_greenlet(self):
        sid = self.sid()
        self.host.request(sid, path="/block")
        time.sleep(0.2)
        self.host.send(P.DUMP_STACK, sid)
        self.assertTrue(self.host.wait_stderr("ERROR request timeout for GET /block; stack"))
        self.assertTrue(self.host.wait_stderr("in app"))


if __name__ == "__main__":
    unittest.main()
