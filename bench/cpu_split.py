#!/usr/bin/python3
"""CPU time per request of each yimmo process kind, for before/after comparisons on a busy machine.

Starts yimmo-wsgi on a free port with a bench app, runs `wrk` ROUNDS times and prints, per round,
the CPU microseconds per request that the supervisor, the workers and the hosts used (utime + stime
from /proc/PID/stat around each wrk run), then the median and the range; also the RSS of each
process idle and after the load. CPU time per request is what to compare while other processes load
the machine (req/s is not). Takes no benchmark lock: it is a scratch tool, not the published
benchmark (run.py).

  bench/cpu_split.py --app hello --close          # a new connection per request (wrk -c10)
  bench/cpu_split.py --app django --conns 50 --rounds 5
  bench/cpu_split.py --root /tmp/old-checkout ... # the same for another build (dist/ compiled there)
  bench/cpu_split.py --strace worker ...          # syscall counts of the worker (strace -c) in the last round
  bench/cpu_split.py --strace node ...            # ... of the supervisor and all workers together (-p 2)
  bench/cpu_split.py --syscalls ...               # system calls per request of workers and hosts, every round (perf)
"""
import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
from harness import cycle, procs  # noqa: E402

MODULES = {"hello": "hello", "django": "django_app", "sleep": "sleep", "echo": "echo", "large": "large"}


def roles(root_pid):
    """{pid: (role, cpu ticks, rss bytes)} of the server's tree (supervisor, worker, host)."""
    out = {}
    for pid, role in procs.roles(root_pid, procs.tree(root_pid)).items():
        st = procs.stat(pid)
        if st is not None:
            out[pid] = (role, st[1], st[2])
    return out


def rss_by_role(tree):
    out = {}
    for role, _, rss in tree.values():
        out.setdefault(role, []).append(round(rss / 2**20, 1))
    return out


SYSCALLS = ("read", "write", "writev", "recvfrom", "sendto", "epoll_wait", "epoll_pwait", "futex")


def start_syscall_counters(tree, tmp):
    """One `perf stat` per role (worker, host) counting SYSCALLS of its processes (all threads)."""
    counters = []
    for role in ("worker", "host"):
        pids = [str(p) for p, v in tree.items() if v[0] == role]
        path = os.path.join(tmp, f"perf-{role}.txt")
        events = ",".join(f"syscalls:sys_enter_{c}" for c in SYSCALLS)
        counters.append((role, subprocess.Popen(["perf", "stat", "-x,", "-o", path, "-e", events,
                                                 "-p", ",".join(pids)], stderr=subprocess.DEVNULL), path))
    time.sleep(0.3)  # attached before the load starts
    return counters


def syscall_counts(path, n):
    counts = []
    with open(path) as f:
        for line in f:
            parts = line.strip().split(",")
            if len(parts) > 2 and parts[2].startswith("syscalls:sys_enter_") and parts[0].isdigit():
                counts.append(f"{parts[2][len('syscalls:sys_enter_'):]} {int(parts[0]) / n:.3f}")
    return ", ".join(counts) or "(no counts: is perf allowed?)"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=os.path.dirname(BENCH), help="checkout to run (default: this one)")
    ap.add_argument("--app", default="hello", choices=sorted(MODULES))
    ap.add_argument("-p", type=int, default=1, help="--no-proc")
    ap.add_argument("-t", type=int, default=2, help="--no-threads")
    ap.add_argument("--close", action="store_true", help="Connection: close, a new connection per request")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=4, help="seconds per round")
    ap.add_argument("--conns", type=int, default=10)
    ap.add_argument("--node", default="node", help="the node command, e.g. 'node --cpu-prof --cpu-prof-dir=DIR'")
    ap.add_argument("--strace", choices=["worker", "supervisor", "host", "node"],
                    help="strace -c this role in the last round (node: the supervisor and every worker together)")
    ap.add_argument("--pin", metavar="CPU", help="run the server (not wrk) on these CPUs (taskset -c), as the "
                                                 "published benchmark does")
    ap.add_argument("--syscalls", action="store_true",
                    help="count the workers' and hosts' system calls per request in every round with `perf stat` "
                         "on syscall tracepoints (counting only: unlike strace, it hardly slows them; needs perf "
                         "and tracefs access)")
    a = ap.parse_args()

    port = cycle.free_port()
    django_dir = tempfile.mkdtemp(prefix="cpu-split-")
    env = dict(os.environ, BENCH_DJANGO_DIR=django_dir)
    pin = f"taskset -c {a.pin} " if a.pin else ""
    cmd = (f"exec {pin}{a.node} {a.root}/bin/yimmo-wsgi --python /usr/bin/python3 --host 127.0.0.1 --port {port} "
           f"--no-proc {a.p} --no-threads {a.t} {MODULES[a.app]}:app")
    server = cycle.start_scratch(cmd, port, a.root, env, django_dir)
    try:
        print("idle RSS MB", rss_by_role(roles(server.pid)))
        wrk = ["wrk", "-t1", f"-c{a.conns}", f"-d{a.duration}s", "-s", os.path.join(BENCH, "lua", "report.lua"),
               f"http://127.0.0.1:{port}/"]
        wenv = dict(os.environ, WRK_CLOSE="1") if a.close else dict(os.environ)
        subprocess.run(wrk[:3] + ["-d1s"] + wrk[4:], env=wenv, capture_output=True)  # warm-up
        per_role = {}
        for i in range(a.rounds):
            before = roles(server.pid)
            tracer = None
            if a.strace and i == a.rounds - 1:
                traced = ("supervisor", "worker") if a.strace == "node" else (a.strace,)
                pids = [p for p, v in before.items() if v[0] in traced]
                if a.strace != "node":
                    pids = pids[:1]
                tracer = subprocess.Popen(["strace", "-c", "-f"] + [x for p in pids for x in ("-p", str(p))]
                                          + ["-o", os.path.join(django_dir, "strace.txt")])
                time.sleep(0.5)
            counters = start_syscall_counters(before, django_dir) if a.syscalls else []
            out = subprocess.run(wrk, env=wenv, capture_output=True, text=True).stdout
            after = roles(server.pid)
            if tracer is not None:
                tracer.send_signal(signal.SIGINT)
                tracer.wait()
            result = json.loads(out.split("WRKJSON ")[1])
            n = result["requests"]
            errors = sum(result[k] for k in result if k.startswith("err_"))
            us = {}
            for pid, (role, ticks, _) in after.items():
                us[role] = us.get(role, 0.0) + (ticks - before.get(pid, (role, 0, 0))[1]) / procs.CLK * 1e6 / n
            for role, v in us.items():
                per_role.setdefault(role, []).append(v)
            print(f"round {i}: {n} requests, {errors} errors{' (straced)' if tracer else ''}: "
                  + ", ".join(f"{r} {v:.1f}" for r, v in sorted(us.items())) + " CPU us/request")
            for role, counter, path in counters:
                counter.send_signal(signal.SIGINT)
                counter.wait()
                print(f"  {role} syscalls/request: " + syscall_counts(path, n))
            if tracer is not None:
                with open(os.path.join(django_dir, "strace.txt")) as f:
                    print(f.read())
        print("loaded RSS MB", rss_by_role(roles(server.pid)))
        print("median " + ", ".join(f"{r} {statistics.median(v):.1f} [{min(v):.1f}-{max(v):.1f}]"
                                   for r, v in sorted(per_role.items())) + " CPU us/request")
    finally:
        cycle.stop_scratch(server, next((p for p, v in roles(server.pid).items() if v[0] == "supervisor"), None))
        shutil.rmtree(django_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
