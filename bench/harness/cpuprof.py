"""Profile mode: yimmo under the same wrk load with Node's --cpu-prof and the cProfile
hook in bench/pyhook (Python host); summarises both to the top self-time functions in
results/profile.md. Node 20 refuses --cpu-prof in NODE_OPTIONS ("is not allowed in
NODE_OPTIONS"), so it goes on the supervisor's command line (`node --cpu-prof ...
bin/yimmo-wsgi`): cluster.fork() gives the workers the supervisor's execArgv."""
import glob
import json
import marshal
import os
import shutil
import signal
import tempfile
import time

from . import cycle, procs
from .peers import APPS, APPS_DIR, BENCH, ROOT

TOP = 15


class Hooks:
    """Clears the Python profiles after the warm-up, dumps them after the measured run."""

    def __init__(self):
        self.hosts = []

    def _signal(self, pids, sig):
        self.hosts = [p for p in pids if procs.kind(p) == "python"]
        for pid in self.hosts:
            os.kill(pid, sig)

    def before(self, pids):
        self._signal(pids, signal.SIGUSR1)

    def after(self, pids):
        self._signal(pids, signal.SIGUSR2)
        time.sleep(1.0)

    def stopped(self):
        pass


def _where(url, line):
    url = url.replace("file://", "")
    if url.startswith(ROOT + "/"):
        url = url[len(ROOT) + 1:]
    return f"{url}:{line + 1}" if url else ""


def node_top(path):
    """-> (total ms excluding idle, [(ms, function, where)], {file: ms})."""
    with open(path) as f:
        prof = json.load(f)
    nodes = {n["id"]: n["callFrame"] for n in prof["nodes"]}
    self_us = {}
    samples, deltas = prof["samples"], prof["timeDeltas"]
    for i, nid in enumerate(samples[:-1]):
        self_us[nid] = self_us.get(nid, 0) + deltas[i + 1]
    by_fn, by_file = {}, {}
    for nid, us in self_us.items():
        cf = nodes[nid]
        if cf["functionName"] == "(idle)":
            continue
        key = (cf["functionName"] or "(anonymous)", _where(cf["url"], cf["lineNumber"]))
        by_fn[key] = by_fn.get(key, 0) + us / 1000
        fkey = _where(cf["url"], -1)[:-2] or cf["functionName"]
        by_file[fkey] = by_file.get(fkey, 0) + us / 1000
    total = sum(by_fn.values())
    top = sorted(((ms, fn, w) for (fn, w), ms in by_fn.items()), reverse=True)[:TOP]
    return total, top, by_file


def python_top(files):
    stats = {}
    for path in files:  # pstats.Stats refuses empty ones (a thread that ran nothing)
        with open(path, "rb") as f:
            for key, (cc, nc, tt, ct, _) in marshal.load(f).items():
                c = stats.get(key, (0, 0, 0.0, 0.0))
                stats[key] = (c[0] + cc, c[1] + nc, c[2] + tt, c[3] + ct)
    rows, by_file = [], {}
    for (fname, line, fn), (cc, nc, tt, ct) in stats.items():
        short = fname.replace(ROOT + "/", "").replace("/usr/lib/python3/dist-packages/", "")
        rows.append((tt * 1000, nc, fn, f"{short}:{line}" if line else short))
        by_file[short] = by_file.get(short, 0) + tt * 1000
    total = sum(r[0] for r in rows)
    return total, sorted(rows, reverse=True)[:TOP], by_file


def _pct(ms, total):
    return f"{100 * ms / total:.1f}%" if total else "-"


def _under(rec, what):
    if "failed" in rec:
        return [f"{what}: FAILED: {rec['failed']}", ""]
    split = ", ".join(f"{k} {v:.1f}" for k, v in rec["cpu_split_us"].items())
    return [f"{what}: {rec['rps']:,.0f} req/s, {rec['cpu_us']:.1f} CPU us/request ({split}), "
            f"{rec['requests']:,} requests in the measured {rec['duration']} s.", ""]


def section(app, node_rec, py_rec, tmp):
    out = [f"## {app}: {APPS[app]['desc']}", ""]
    profiles = glob.glob(os.path.join(tmp, "*.cpuprofile"))
    out += _under(node_rec, "With --cpu-prof (Python not profiled)")
    if profiles:
        summaries = sorted((node_top(p) for p in profiles), key=lambda s: -s[0])
        total, top, by_file = summaries[0]  # the busiest Node process: the worker
        out += [f"### Node worker (--cpu-prof, whole run incl. warm-up; {total:,.0f} ms non-idle)", "",
                "| self ms | self % | function | where (compiled JS) |", "|--:|--:|---|---|"]
        out += [f"| {ms:,.0f} | {_pct(ms, total)} | `{fn}` | {w} |" for ms, fn, w in top]
        files = sorted(by_file.items(), key=lambda kv: -kv[1])[:8]
        out += ["", "By file: " + "; ".join(f"{f or '?'} {_pct(ms, total)}" for f, ms in files), ""]
    pyfiles = glob.glob(os.path.join(tmp, "py.*.prof"))
    out += _under(py_rec, "With cProfile in the host (Node not profiled)")
    if pyfiles:
        total, top, by_file = python_top(pyfiles)
        out += [f"### Python host (cProfile, thread CPU time, measured run only; {total:,.0f} ms, "
                f"{len(pyfiles)} threads)", "",
                "| self ms | self % | calls | function | where |", "|--:|--:|--:|---|---|"]
        out += [f"| {ms:,.0f} | {_pct(ms, total)} | {nc:,} | `{fn}` | {w} |" for ms, nc, fn, w in top]
        files = sorted(by_file.items(), key=lambda kv: -kv[1])[:8]
        out += ["", "By file: " + "; ".join(f"{f} {_pct(ms, total)}" for f, ms in files), ""]
    return out


def run(apps, opts, log, lock, out_md, meta):
    m = meta["machine"]
    lines = ["# CPU profiles of yimmo-wsgi", "",
             f"{meta['started']}, `npm run bench -- {meta['argv']}`; {m['cpu']}, {m['cores']} cores, "
             f"Node {m['node']}, Python {m['python']}, yimmo-wsgi {m['yimmo-wsgi']}.", "",
             f"Two runs per app, each as in the benchmark (`wrk -t1 -c{opts['conns']} -d{opts['duration']}s` after a "
             f"{opts['warmup']} s warm-up, server on CPU {opts['pin_server']}, 1 process x 2 threads): one with the Node "
             "profiler, one with the Python profiler, so neither slows the other side down. "
             "Node: `node --cpu-prof --cpu-prof-dir=DIR bin/yimmo-wsgi ...` (Node 20 does not allow --cpu-prof in "
             "NODE_OPTIONS; the cluster worker inherits the supervisor's execArgv); "
             "self time from the samples. Python: `bench/pyhook/sitecustomize.py` (on PYTHONPATH, enabled by "
             "YIMMO_BENCH_CPROFILE) profiles every host thread with cProfile timed by `time.thread_time`. "
             "py-spy is not packaged in Debian 12. cProfile roughly doubles the Python side's cost, so "
             "read the Python tables for proportions, not absolute speed.", ""]
    for app in apps:
        tmp = tempfile.mkdtemp(prefix=f"yimmo-prof-{app}-")
        env = dict(YIMMO_BENCH_CPROFILE=os.path.join(tmp, "py"), PYTHONPATH=os.path.join(BENCH, "pyhook") + ":" + APPS_DIR)
        # two runs, so that neither profiler slows the other side down: cProfile makes the host
        # the bottleneck, and Node at a third of its normal rate batches less
        with lock:
            node_rec = cycle.run("yimmo", app, opts, log, node_args=f"--cpu-prof --cpu-prof-dir={tmp}")
        time.sleep(1.0)  # the worker writes its .cpuprofile as it exits
        with lock:
            py_rec = cycle.run("yimmo", app, opts, log, env_extra=env, hooks=Hooks())
        try:
            lines += section(app, node_rec, py_rec, tmp)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        print(f"profile {app}: {node_rec.get('rps', 0):,.0f} / {py_rec.get('rps', 0):,.0f} req/s", flush=True)
    with open(out_md, "w") as f:
        f.write(with_findings("\n".join(lines) + "\n", out_md))
    print(f"bench: wrote {out_md}")


# The hand-written findings (issue 13's measurements) follow this line in
# results/profile.md; regenerating the profiles above keeps them.
FINDINGS = "<!-- findings: written by hand, kept when the profiles above are regenerated -->"


def with_findings(generated, out_md):
    """The generated text, followed by the findings section of the file it replaces, if any."""
    try:
        with open(out_md) as f:
            old = f.read()
    except OSError:
        return generated
    i = old.find(FINDINGS)
    return generated if i < 0 else generated + "\n" + old[i:]
