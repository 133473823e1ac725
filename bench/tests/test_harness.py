"""Unit tests of the harness's pure parts (no server, no load):
/usr/bin/python3 -m unittest discover -s bench/tests -t bench"""
import os
import ssl
import sys
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from harness import cycle, matrix, procs, report, targets  # noqa: E402
from harness.peers import APPS, command  # noqa: E402
from harness.svg import chart  # noqa: E402

MB = 1 << 20
MACHINE = {"cpu": "test cpu", "cores": 2, "kernel": "k", "node": "v20", "python": "3.11.2 (/usr/bin/python3)",
           "yimmo-wsgi": "0.1.0", "gunicorn": "20.1.0", "uWSGI": "2.0.21", "waitress": "2.1.2", "flask": "2.2.2",
           "django": "3.2.25", "wrk": "wrk 4.1.0"}


def rec(server, app, mode, rps, cpu_us, util=1.0, pin="1", **kw):
    r = dict(server=server, app=app, mode=mode, rps=rps, cpu_us=cpu_us, server_util=util, pin=pin,
             p50_ms=1.0, p99_ms=2.0, mean_ms=1.0, busy_conns=50, wrk_util=0.3, other_util=0.0,
             rss_peak=100 * MB, rss_peak_children=60 * MB, pss_after=90 * MB, rss_after=100 * MB,
             requests_served=20000, cpu_split_us={"node": cpu_us * 0.7, "python": cpu_us * 0.3},
             rss_idle_roles={"supervisor": [1, 50 * MB], "worker": [1, 45 * MB]},
             rss_load_roles={"supervisor": [1, 51 * MB], "worker": [1, 50 * MB]},
             cpu_roles_us={"supervisor": cpu_us * 0.1, "worker": cpu_us * 0.9})
    r.update(kw)
    return r


class Classify(unittest.TestCase):
    def test_yimmo_p2_tree(self):
        info = {1: (0, "node"), 2: (1, "node"), 3: (2, "python"), 4: (1, "node"), 5: (4, "python")}
        self.assertEqual(procs.classify(1, info), {1: "supervisor", 2: "worker", 3: "host", 4: "worker", 5: "host"})

    def test_peers(self):
        self.assertEqual(procs.classify(10, {10: (1, "python"), 11: (10, "python"), 12: (10, "python")}),
                         {10: "master", 11: "worker", 12: "worker"})
        self.assertEqual(procs.classify(20, {20: (1, "python")}), {20: "server"})
        self.assertEqual(procs.classify(30, {30: (1, "uwsgi-core"), 31: (30, "uwsgi-core")}), {30: "master", 31: "worker"})

    def test_cpu_by_role(self):
        before = {1: ("node", 100), 2: ("node", 1000)}
        after = {1: ("node", 100 + procs.CLK), 2: ("node", 1000 + 3 * procs.CLK), 3: ("python", 2 * procs.CLK)}
        self.assertEqual(procs.cpu_split_by_role_s(before, after, {1: "supervisor", 2: "worker", 3: "host"}),
                         {"supervisor": 1.0, "worker": 3.0, "host": 2.0})

    def test_processes_outside_the_tree_are_ignored(self):
        self.assertEqual(procs.classify(1, {1: (0, "node"), 7: (99, "python")}), {1: "server"})


class Commands(unittest.TestCase):
    def test_tls_arguments_only_in_tls_modes(self):
        plain = command("gunicorn-gthread", "hello", 8000, "close", "/c.pem", "/k.pem")
        self.assertNotIn("certfile", plain)
        tls = command("gunicorn-gthread", "hello", 8000, "tls-close", "/c.pem", "/k.pem")
        self.assertIn("--certfile /c.pem --keyfile /k.pem hello:app", tls)
        self.assertIn("--tls-cert /c.pem --tls-key /k.pem hello:app", command("yimmo-p2", "hello", 8000, "tls", "/c.pem", "/k.pem"))
        self.assertIn("--no-proc 2 --no-threads 4", command("yimmo-p2t4", "django", 8000))
        self.assertIn("django_app:app", command("yimmo", "django", 8000))

    def test_uwsgi_http11_says_close_in_the_close_modes(self):
        self.assertNotIn("Connection: close", command("uwsgi-http11", "hello", 8000, "keepalive"))
        self.assertTrue(command("uwsgi-http11-p2", "hello", 8000, "close").endswith("--add-header 'Connection: close'"))

    def test_wrk_command(self):
        cmd, env = cycle.wrk_command(8000, APPS["hello"], 50, 2, 0, "keepalive")
        self.assertEqual(cmd[:3], ["taskset", "-c", "0"])
        self.assertEqual(cmd[-1], "http://127.0.0.1:8000/")
        self.assertEqual(env, {})
        cmd, env = cycle.wrk_command(8000, APPS["echo"], 50, 2, None, "tls-close")
        self.assertEqual(cmd[0], "wrk")
        self.assertEqual(cmd[-1], "https://127.0.0.1:8000/")
        self.assertEqual(env, {"WRK_CLOSE": "1", "WRK_POST_BYTES": "4096"})

    def test_p2_servers_get_their_own_pin(self):
        opts = dict(pin_server=1, pin_p2=None)
        self.assertEqual(cycle.pin_for("yimmo", opts), 1)
        self.assertIsNone(cycle.pin_for("yimmo-p2", opts))
        self.assertEqual(cycle.pin_for("gunicorn-gthread-p2", dict(opts, pin_p2="0,1")), "0,1")


class Schedule(unittest.TestCase):
    def test_rotation_and_skips(self):
        grps = [("tls", "hello", ["yimmo", "gunicorn-gthread", "uwsgi-http11"])]
        s = matrix.schedule(grps, 2)
        self.assertEqual([(r, srv) for r, _, _, srv, _ in s],
                         [(0, "yimmo"), (0, "gunicorn-gthread"), (0, "uwsgi-http11"), (1, "gunicorn-gthread"), (1, "yimmo")])
        self.assertEqual(s[2][4], "no TLS in this configuration")

    def test_issue13_preset_covers_every_target(self):
        have = {(m, a, s) for m, a, servers in matrix.ISSUE13 for s in servers}
        for t in targets.ISSUE13:
            names = [t["server"]] if "server" in t else [t["me"], t["peer"]]
            for s in names:
                self.assertIn((t["mode"], t["app"], s), have, targets.title(t))

    def test_node_ceiling_serves_hello_only(self):
        s = matrix.schedule([("close", "django", ["node-hello"]), ("close", "hello", ["node-hello"])], 1)
        self.assertEqual([why for *_, why in s], ["a bare Node server: hello only", None])

    def test_union(self):
        self.assertEqual(matrix.union(matrix.groups(["keepalive", "close"], ["hello"], ["yimmo", "uwsgi"])),
                         (["keepalive", "close"], ["hello"], ["yimmo", "uwsgi"]))


class Targets(unittest.TestCase):
    def rows(self, records, modes=("keepalive", "close")):
        return report.summarize(records, sorted({r["server"] for r in records}), sorted({r["app"] for r in records}), modes)

    def test_ratio_by_rps_and_by_cpu_when_a_core_is_idle(self):
        t = dict(kind="ratio", mode="close", app="hello", me="yimmo", peer="gunicorn-gthread", need=2.5)
        rows = self.rows([rec("yimmo", "hello", "close", 30000, 30), rec("gunicorn-gthread", "hello", "close", 10000, 100)])
        v = report.evaluate(rows, [t])[0]
        self.assertEqual((v["basis"], round(v["got"], 2), v["met"]), ("req/s", 3.0, True))
        rows = self.rows([rec("yimmo", "hello", "close", 20000, 50, util=0.6),
                          rec("gunicorn-gthread", "hello", "close", 10000, 100)])
        v = report.evaluate(rows, [t])[0]
        self.assertTrue(v["basis"].startswith("CPU/request"))
        self.assertEqual((round(v["got"], 2), v["met"], targets.verdict(v)), (2.0, False, "missed by 20%"))

    def test_unpinned_servers_are_never_unsaturated(self):
        rows = self.rows([rec("yimmo-p2", "hello", "close", 20000, 50, util=0.6, pin=None),
                          rec("yimmo", "hello", "close", 25000, 40)])
        self.assertFalse(next(r for r in rows if r["server"] == "yimmo-p2")["unsaturated"])
        v = report.evaluate(rows, [t for t in targets.ISSUE13 if t.get("me") == "yimmo-p2"])[0]
        self.assertEqual((v["basis"], round(v["got"], 2), v["met"]), ("req/s", 0.8, False))

    def test_ratios_never_cross_modes(self):
        rows = self.rows([rec("yimmo", "hello", "keepalive", 40000, 20), rec("gunicorn-gthread", "hello", "close", 5000, 100)])
        self.assertNotIn("vs_gunicorn-gthread", rows[0])
        t = dict(kind="ratio", mode="keepalive", app="hello", me="yimmo", peer="gunicorn-gthread", need=7)
        self.assertEqual(targets.verdict(report.evaluate(rows, [t])[0]), "no data")

    def test_node_cpu_ceiling(self):
        t = next(t for t in targets.ISSUE13 if t["kind"] == "max")
        rows = self.rows([rec("yimmo", "django", "keepalive", 1000, 50)])  # node 35 us
        v = report.evaluate(rows, [t])[0]
        self.assertEqual((round(v["got"]), v["met"]), (35, True))
        rows = self.rows([rec("yimmo", "django", "keepalive", 1000, 100)])  # node 70 us
        self.assertEqual(targets.verdict(report.evaluate(rows, [t])[0]), "missed by 43%")

    def test_rss_needs_enough_requests(self):
        t = targets.with_rss_after([t for t in targets.ISSUE13 if t["kind"] == "rss"], 10000)[0]
        recs = [rec("yimmo-p2t4", "django", "keepalive", 800, 2000, pin=None, rss_after=150 * MB),
                rec("gunicorn-gthread-p2", "django", "keepalive", 400, 3000, pin=None, rss_after=125 * MB)]
        v = report.evaluate(self.rows(recs), [t])[0]
        self.assertEqual((round(v["got"], 2), v["met"]), (1.2, True))
        recs[1]["requests_served"] = 9000
        v = report.evaluate(self.rows(recs), [t])[0]
        self.assertIsNone(v["got"])
        self.assertIn("gunicorn-gthread-p2", v["basis"])

    def test_rss_cells(self):
        self.assertEqual(targets.rss_cells(targets.ISSUE13),
                         {("keepalive", "django", "yimmo-p2t4"): 10000, ("keepalive", "django", "gunicorn-gthread-p2"): 10000})


class Output(unittest.TestCase):
    def test_markdown_and_chart(self):
        records = [rec("yimmo", "hello", "keepalive", 40000, 20), rec("gunicorn-gthread", "hello", "keepalive", 8000, 110),
                   rec("yimmo", "hello", "close", 12000, 60), rec("gunicorn-gthread", "hello", "close", 5000, 150),
                   dict(server="uwsgi-http11", app="hello", mode="tls", skipped="no TLS in this configuration")]
        meta = dict(label="t", started="now", argv="x", machine=MACHINE, modes=["keepalive", "close", "tls"],
                    apps=["hello"], servers=["yimmo", "gunicorn-gthread", "uwsgi-http11"],
                    options=dict(conns=50, duration=2, warmup=1, rounds=1, pin_server=1, pin_wrk=0, rss_after=10000))
        rows = report.summarize(records, meta["servers"], meta["apps"], meta["modes"])
        verdicts = report.evaluate(rows, targets.ISSUE5 + targets.ISSUE13)
        md = report.markdown(meta, rows, verdicts)
        self.assertIn("## Keep-alive (`keepalive`)", md)
        self.assertIn("## New connection per request (`close`)", md)
        self.assertIn("| close hello: yimmo / gunicorn-gthread | >= 2.5x | 2.40 | req/s | 2.40 | 2.50 | missed by 4% |", md)
        self.assertIn("| keepalive hello: yimmo / gunicorn-gthread | >= 7.0x | 5.00 |", md)
        self.assertIn("supervisor 51, worker 50", md)
        self.assertIn("| keepalive | hello | yimmo | supervisor 2, worker 18 |", md)
        self.assertIn("n/a: no TLS in this configuration", md)
        svg = chart(rows, meta["apps"], meta["servers"], MACHINE, meta["modes"])
        root = ET.fromstring(svg)
        texts = [e.text for e in root.iter("{http://www.w3.org/2000/svg}text")]
        self.assertIn("keep-alive", texts)
        self.assertIn("new connection per request", texts)
        self.assertIn("12.0k, 2.40x gthread", texts)

    def test_roles_text(self):
        self.assertEqual(report.roles_text({"host": [2, 40 * MB], "supervisor": [1, 50 * MB], "worker": [2, 100 * MB]}),
                         "supervisor 50, worker 2x 100, host 2x 40")


class CloseCheck(unittest.TestCase):
    """check(close=True) must refuse a server that answers "Connection: close" requests with a
    keep-alive response (uWSGI's http11 socket does): wrk would reuse the connection."""

    def serve(self, say_close):
        import http.server
        import threading

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Length", "13")
                if say_close:
                    self.send_header("Connection", "close")
                self.end_headers()
                self.wfile.write(b"Hello, World!")

            def log_message(self, *a):
                pass

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.addCleanup(srv.server_close)
        self.addCleanup(srv.shutdown)
        return srv.server_address[1]

    def test_keep_alive_answer_fails_the_close_check(self):
        port = self.serve(say_close=False)
        cycle.check(port, APPS["hello"])  # fine for keep-alive
        with self.assertRaisesRegex(RuntimeError, "keeps the connection alive"):
            cycle.check(port, APPS["hello"], close=True)

    def test_close_answer_passes(self):
        cycle.check(self.serve(say_close=True), APPS["hello"], close=True)


class Cert(unittest.TestCase):
    def test_throwaway_certificate_loads(self):
        import run
        d, cert, key = run.make_cert("ec")
        try:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(cert, key)
        finally:
            import shutil
            shutil.rmtree(d)
        self.assertFalse(os.path.exists(d))


class ProfileFindings(unittest.TestCase):
    def test_regenerated_profiles_keep_the_findings_section(self):
        import tempfile
        from harness import cpuprof
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "profile.md")
            self.assertEqual(cpuprof.with_findings("new\n", path), "new\n")  # no file yet
            with open(path, "w") as f:
                f.write("old tables\n" + cpuprof.FINDINGS + "\n## a finding\n")
            self.assertEqual(cpuprof.with_findings("new\n", path), "new\n\n" + cpuprof.FINDINGS + "\n## a finding\n")
            with open(path, "w") as f:
                f.write("old tables only\n")
            self.assertEqual(cpuprof.with_findings("new\n", path), "new\n")


if __name__ == "__main__":
    unittest.main()

