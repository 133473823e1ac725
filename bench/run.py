#!/usr/bin/python3
"""yimmo-wsgi benchmark: the same apps under yimmo-wsgi, gunicorn (sync, gthread),
uWSGI and waitress, loaded by wrk on loopback; see bench/README.md.

  npm run bench                                   # all apps, keep-alive, 8 s x 2 rounds (~25 min)
  npm run bench -- --quick                        # 3 servers, 2 s x 1 round (< 2 min)
  npm run bench -- --duration 8 --rounds 3 --apps hello,flask
  npm run bench -- --close --apps hello,django    # keep-alive and a new connection per request
  npm run bench -- --h2 --apps hello,flask --servers yimmo   # HTTP/1.1 keep-alive next to HTTP/2 (h2load)
  npm run bench -- --issue13                      # the cells of issue 13's targets, 2 rounds (~12 min)
  npm run bench -- --profile --apps hello,large   # CPU profiles of yimmo -> results/profile.md
"""
import argparse
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import cycle, machine, matrix, procs, report, targets  # noqa: E402
from harness.peers import APPS, BENCH, DEFAULT_APPS, DEFAULT_SERVERS, MODES, PY, QUICK_SERVERS, ROOT, SERVERS  # noqa: E402

LOCK = "/tmp/bench.lock"  # the same lock as ../shared/bench and `flock /tmp/bench.lock CMD`


def options():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--apps", default=",".join(DEFAULT_APPS), help="comma list of: " + ", ".join(APPS))
    ap.add_argument("--servers", default=None, help="comma list of: " + ", ".join(SERVERS))
    ap.add_argument("--modes", default="keepalive", help="comma list of: " + ", ".join(MODES) + " (keepalive)")
    ap.add_argument("--close", action="store_true",
                    help="also every request on a new connection (Connection: close), as nginx without upstream keepalive")
    ap.add_argument("--h2", action="store_true",
                    help="also HTTP/2 h2c with h2load, 10 connections x 10 streams (servers with an h2 command only)")
    ap.add_argument("--tls", action="store_true",
                    help="also over TLS, keep-alive and a handshake per request (servers with a TLS command only)")
    ap.add_argument("--tls-key-type", choices=("ec", "rsa"), default="ec",
                    help="key of the throwaway certificate: ec (P-256, default) or rsa (2048 bits)")
    ap.add_argument("--issue13", action="store_true",
                    help="measure the cells of issue 13's targets (see harness/matrix.py); --apps/--servers/--modes ignored")
    ap.add_argument("--report-only", metavar="LABEL", default=None,
                    help="no measuring: rebuild results/LABEL.md and .svg from results/LABEL.json")
    ap.add_argument("--duration", type=int, default=8, help="seconds of measured load per run (8)")
    ap.add_argument("--warmup", type=int, default=2, help="seconds of warm-up load before each run (2)")
    ap.add_argument("--rounds", type=int, default=2, help="runs per server and app, order rotated (2)")
    ap.add_argument("--conns", type=int, default=50, help="wrk connections (50)")
    ap.add_argument("--quick", action="store_true", help="yimmo, gunicorn-gthread, uwsgi; 2 s x 1 round, no waiting for a quiet machine")
    ap.add_argument("--label", default=None, help="results/LABEL.{json,md,svg} (latest; quick with --quick, issue13 with --issue13)")
    ap.add_argument("--pin-server", default=None, help="CPU for the server tree (default: 2nd allowed CPU)")
    ap.add_argument("--pin-wrk", default=None, help="CPU for wrk (default: 1st allowed CPU)")
    ap.add_argument("--pin-p2", default=None, help="CPUs for the P=2 servers' trees (default: not pinned)")
    ap.add_argument("--rss-after", type=int, default=targets.RSS_AFTER_REQUESTS,
                    help="the RSS target's cells are loaded until they served this many requests (10000)")
    ap.add_argument("--max-other", type=float, default=0.3,
                    help="redo a run when other processes used more than this many cores meanwhile (0.3)")
    ap.add_argument("--retries", type=int, default=2, help="redos allowed per run for --max-other (2)")
    ap.add_argument("--quiet-wait", type=float, default=120,
                    help="before each run, wait up to this many seconds for other load to drop below --max-other (120)")
    ap.add_argument("--startup-timeout", type=float, default=30)
    ap.add_argument("--profile", action="store_true", help="profile yimmo (Node --cpu-prof, Python cProfile)")
    ap.add_argument("--install", action="store_true", help="as root: apt-get install what is missing")
    ap.add_argument("--no-build", action="store_true", help="do not run tsc first")
    a = ap.parse_args()
    if a.quick:
        a.duration, a.warmup, a.rounds, a.retries, a.quiet_wait = min(a.duration, 2), min(a.warmup, 1), 1, 0, 0
        a.servers = a.servers or ",".join(QUICK_SERVERS)
    a.apps = [x for x in a.apps.split(",") if x]
    a.servers = [x for x in (a.servers or ",".join(DEFAULT_SERVERS)).split(",") if x]
    a.modes = [x for x in a.modes.split(",") if x]
    a.modes += [m for flag, ms in ((a.close, ["close"]), (a.h2, ["h2"]), (a.tls, ["tls", "tls-close"])) if flag for m in ms
                if m not in a.modes]
    for what, xs, known in (("app", a.apps, APPS), ("server", a.servers, SERVERS), ("mode", a.modes, MODES)):
        for x in xs:
            if x not in known:
                ap.error(f"unknown {what} {x!r}")
    a.groups = matrix.ISSUE13 if a.issue13 else matrix.groups(a.modes, a.apps, a.servers)
    a.modes, a.apps, a.servers = matrix.union(a.groups)
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) >= 2:
        a.pin_server = a.pin_server if a.pin_server is not None else cpus[1]
        a.pin_wrk = a.pin_wrk if a.pin_wrk is not None else cpus[0]
    a.label = a.label or a.report_only or ("profile" if a.profile else "quick" if a.quick else "issue13" if a.issue13 else "latest")
    return a


class Lock:
    """flock(2) on /tmp/bench.lock around each cycle: two benchmarks never measure at once.
    Once it holds the lock it also waits (up to `quiet_wait` s) for the rest of the machine
    to go quiet: tests that other people run do not take the lock."""

    def __init__(self, max_other, quiet_wait):
        self.f = open(LOCK, "a+")
        self.max_other, self.quiet_wait = max_other, quiet_wait

    def __enter__(self):
        try:
            fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"  (waiting for {LOCK}: another benchmark is running)", flush=True)
            fcntl.flock(self.f, fcntl.LOCK_EX)
        t0, said = time.time(), False
        while time.time() - t0 < self.quiet_wait:
            b0 = procs.machine_busy_s()
            time.sleep(1)
            busy = procs.machine_busy_s() - b0
            if busy <= self.max_other:
                break
            if not said:
                print(f"  (machine busy: {busy:.2f} cores in use by others; waiting up to {self.quiet_wait:.0f} s)", flush=True)
                said = True

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)


def measure(a, opts, log, lock):
    records, t_start = [], time.time()
    rss_cells = targets.rss_cells(targets.ISSUE13)
    for rnd, mode, app, server, why in matrix.schedule(a.groups, a.rounds):
        name = f"[{rnd}] {mode:9} {app:6} {server:19}"
        if why:
            records.append(dict(server=server, app=app, mode=mode, skipped=why))
            print(f"{name} skipped: {why}", flush=True)
            continue
        cell_opts = dict(opts, rss_after=a.rss_after if (mode, app, server) in rss_cells else None)
        for attempt in range(a.retries + 1):
            with lock:
                rec = cycle.run(server, app, cell_opts, log, mode=mode)
            if "failed" in rec or rec["other_util"] <= a.max_other:
                break
            if attempt == a.retries:
                rec["noisy"] = True  # kept, but the summary prefers quiet runs
                break
            print(f"  {server} {app} {mode}: other load {rec['other_util']:.2f} cores during the run, redoing", flush=True)
            time.sleep(3)
        rec.update(round=rnd, attempt=attempt)
        records.append(rec)
        if "failed" in rec:
            print(f"{name} FAILED {rec['failed']}", flush=True)
        else:
            split = " ".join(f"{k} {v:.0f}" for k, v in rec["cpu_split_us"].items())
            print(f"{name} {rec['rps']:9,.0f} req/s  p50 {rec['p50_ms']:6.2f} ms  "
                  f"p99 {rec['p99_ms']:6.2f} ms  cpu {rec['cpu_us']:5.0f} us/req ({split})  "
                  f"rss {rec['rss_peak'] / 2**20:.0f}/{rec['rss_peak_children'] / 2**20:.0f} MB  "
                  f"[{report.roles_text(rec['rss_load_roles'])}]  "
                  f"[cpu {', '.join(f'{k} {v:.0f}' for k, v in rec['cpu_roles_us'].items())}]  "
                  f"busy conns {rec['busy_conns']:.0f}  wrk {rec['wrk_util']:.2f}  other {rec['other_util']:.2f}  "
                  f"[{time.time() - t_start:.0f}s]", flush=True)
    return records


def make_cert(key_type):
    """A throwaway self-signed certificate for 127.0.0.1, made with openssl for this run -> (dir, cert, key)."""
    d = tempfile.mkdtemp(prefix="yimmo-bench-tls-")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    newkey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] if key_type == "ec" else ["-newkey", "rsa:2048"]
    p = subprocess.run(["openssl", "req", "-x509", "-nodes", *newkey, "-keyout", key, "-out", cert, "-days", "2",
                        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        shutil.rmtree(d, ignore_errors=True)
        sys.exit(f"bench: openssl could not make the test certificate: {p.stderr.strip()[-300:]}")
    return d, cert, key


def report_only(a):
    base = os.path.join(BENCH, "results", a.report_only)
    try:
        with open(base + ".json") as f:
            data = json.load(f)
    except OSError as e:
        sys.exit(f"bench: --report-only: {e}")
    rows, verdicts = report.write(base, data["meta"], data["records"])
    print(report.markdown(data["meta"], rows, verdicts))
    print(f"bench: rewrote {base}.json, .md, .svg")


def main():
    if os.path.realpath(sys.executable) != os.path.realpath(PY):  # the checks must see Debian's Python
        os.execv(PY, [PY] + sys.argv)
    # SIGTERM unwinds like Ctrl-C, so the server being measured is stopped too
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    a = options()
    if a.report_only:
        return report_only(a)
    if not machine.check(a.install):
        sys.exit(2)
    if not a.no_build:
        print("bench: building (tsc)", flush=True)
        if subprocess.run(["npx", "tsc", "-p", "tsconfig.json"], cwd=ROOT).returncode != 0:
            sys.exit("bench: the TypeScript build failed (use --no-build to run the last build)")
    os.makedirs(os.path.join(BENCH, "results"), exist_ok=True)
    base = os.path.join(BENCH, "results", a.label)
    opts = dict(conns=a.conns, duration=a.duration, warmup=a.warmup, pin_server=a.pin_server, pin_wrk=a.pin_wrk,
                pin_p2=a.pin_p2, startup_timeout=a.startup_timeout)
    meta = dict(label=a.label, started=time.strftime("%Y-%m-%d %H:%M:%S %z"), argv=" ".join(sys.argv[1:]) or "(defaults)",
                machine=machine.facts(), modes=a.modes, apps=a.apps, servers=a.servers,
                options=dict(opts, rounds=a.rounds, rss_after=a.rss_after, tls_key_type=a.tls_key_type if any(MODES[m]["tls"] for m in a.modes) else None))
    print("bench: " + json.dumps(meta["machine"]), flush=True)
    tls_dir = None
    if any(MODES[m]["tls"] for m in a.modes):
        tls_dir, opts["cert"], opts["key"] = make_cert(a.tls_key_type)
    try:
        with open(base + ".log", "w") as log:  # server output; bench/results/*.log is git-ignored
            if a.profile:
                from harness import cpuprof
                cpuprof.run(a.apps, opts, log, Lock(a.max_other, a.quiet_wait), os.path.join(BENCH, "results", "profile.md"), meta)
                return
            records = measure(a, opts, log, Lock(a.max_other, a.quiet_wait))
    finally:
        if tls_dir:
            shutil.rmtree(tls_dir, ignore_errors=True)
    rows, tgts = report.write(base, meta, records)
    print("\n" + report.markdown(meta, rows, tgts))
    print(f"bench: wrote {base}.json, .md, .svg (server logs: {base}.log)")
    failed = [r for r in records if "failed" in r]
    if failed:
        sys.exit(f"bench: {len(failed)} run(s) FAILED (any non-2xx response or socket error fails a run)")


if __name__ == "__main__":
    main()
