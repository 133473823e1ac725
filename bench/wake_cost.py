#!/usr/bin/python3
"""CPU per request and wake-ups per request at a chosen request rate, per process kind and thread.

Where bench/cpu_split.py reads utime+stime (sampled at each tick, 4 ms here), this reads
/proc/PID/task/TID/schedstat: the scheduler's exact run time (ns) and how many times each thread
was switched in (its wake-ups, plus preemptions). It answers "does the worker cost more per request
because of the application or because of the rate?":

  bench/wake_cost.py --probe                           # the machine's floor: CPU per wake-up of an
                                                       # empty Node timer and of a sleep loop
  bench/wake_cost.py --app paced --conns 50            # yimmo, hello after a 2 ms sleep (~900 req/s at -t 2)
  bench/wake_cost.py --app paced --mode spin           # ... after 2 ms of Python busy loop
  bench/wake_cost.py --app django_app                  # the Django page of the benchmark
  bench/wake_cost.py --server node-hello --conns 1 --delay-ms 1   # a bare Node http server, paced
  bench/wake_cost.py --root /tmp/old-checkout ...      # another build (dist/ compiled there)

--delay-ms makes each connection wait that long before each request (wrk's delay()), for a rate
set by the client with any app. --pin CPU runs the server on that CPU and wrk on the other one, as
the published benchmark does. A scratch tool like cpu_split.py: no benchmark lock.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, BENCH)
from harness import cycle, procs  # noqa: E402


def threads(pid):
    """{tid: (name, run ns, switch-ins, voluntary switch-outs)} of one process. Voluntary: the
    thread blocked (a wait, a GIL hand-off); the rest of the switch-ins follow preemptions."""
    out = {}
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return out
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                fields = f.read().split()
            with open(f"/proc/{pid}/task/{tid}/comm") as f:
                name = f.read().strip()
            with open(f"/proc/{pid}/task/{tid}/status") as f:
                vol = next(int(line.split()[1]) for line in f if line.startswith("voluntary_ctxt_switches"))
        except (OSError, StopIteration):
            continue
        out[tid] = (name, int(fields[0]), int(fields[2]), vol)
    return out


def snapshot(root):
    """{pid: (role, {tid: (name, ns, switches)})} of the server's tree (roles as the published
    benchmark names them: supervisor, worker, host; a lone process: server)."""
    return {pid: (role, threads(pid)) for pid, role in procs.roles(root, procs.tree(root)).items()}


def probe():
    """CPU per wake-up of processes that do nothing but wake up: the machine's floor."""
    cases = [
        ("empty Node timer, every 2 ms", ["node", "-e", "setInterval(() => {}, 2)"]),
        ("empty Node timer, every 250 ms", ["node", "-e", "setInterval(() => {}, 250)"]),
        ("Python time.sleep(0.002) loop", [sys.executable, "-c", "import time\nwhile True: time.sleep(0.002)"]),
    ]
    for name, cmd in cases:
        p = subprocess.Popen(cmd)
        try:
            time.sleep(2)
            a = threads(p.pid)
            time.sleep(5)
            b = threads(p.pid)
        finally:
            p.kill()
            p.wait()
        ns = sum(v[1] - a.get(t, (0, 0, 0, 0))[1] for t, v in b.items())
        sw = sum(v[2] - a.get(t, (0, 0, 0, 0))[2] for t, v in b.items())
        print(f"{name}: {ns / 1e3 / max(1, sw):.1f} us of CPU per switch-in ({sw / 5:.0f}/s)")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--probe", action="store_true", help="only measure the machine's CPU per wake-up")
    ap.add_argument("--root", default=os.path.dirname(BENCH), help="checkout to run (default: this one)")
    ap.add_argument("--server", default="yimmo", choices=["yimmo", "node-hello"])
    ap.add_argument("--app", default="paced", help="module in bench/apps (yimmo only)")
    ap.add_argument("--mode", default="sleep", choices=["sleep", "spin"], help="--app paced: how it spends --app-ms")
    ap.add_argument("--app-ms", type=float, default=2.0, help="--app paced: milliseconds per request")
    ap.add_argument("-p", type=int, default=1, help="--no-proc")
    ap.add_argument("-t", type=int, default=2, help="--no-threads")
    ap.add_argument("--conns", type=int, default=50)
    ap.add_argument("--delay-ms", type=int, default=0, help="each connection waits this long before each request")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--duration", type=int, default=4, help="seconds per round")
    ap.add_argument("--pin", help="run the server on this CPU, wrk on another")
    ap.add_argument("--node", default="node", help="the node command, e.g. 'node --single-threaded-gc'")
    ap.add_argument("--per-thread", action="store_true", help="also print each thread's share (worker and host)")
    a = ap.parse_args()
    if a.probe:
        return probe()

    port = cycle.free_port()
    scratch = tempfile.mkdtemp(prefix="wake-cost-")
    env = dict(os.environ, BENCH_DJANGO_DIR=scratch, PACED_MS=str(a.app_ms), PACED_MODE=a.mode)
    pin = f"taskset -c {a.pin} " if a.pin else ""
    node_server = a.server == "node-hello"
    if node_server:
        cmd = f"exec {pin}{a.node} {BENCH}/apps/node_hello.js {port}"
    else:
        cmd = (f"exec {pin}{a.node} {a.root}/bin/yimmo-wsgi --python /usr/bin/python3 --host 127.0.0.1 --port {port} "
               f"--no-proc {a.p} --no-threads {a.t} {a.app}:app")
    server = cycle.start_scratch(cmd, port, a.root, env, scratch)
    try:
        wrk_pin = ["taskset", "-c", "1" if a.pin == "0" else "0"] if a.pin else []
        url = f"http://127.0.0.1:{port}/"
        subprocess.run(wrk_pin + ["wrk", "-t1", f"-c{a.conns}", "-d1s", url], capture_output=True)  # warm-up
        wrk = wrk_pin + ["wrk", "-t1", f"-c{a.conns}", f"-d{a.duration}s", "-s", os.path.join(BENCH, "lua", "delay.lua"), url]
        wenv = dict(os.environ, WRK_DELAY_MS=str(a.delay_ms))
        per_role = {}
        for i in range(a.rounds):
            before = snapshot(server.pid)
            started = time.time()
            out = subprocess.run(wrk, env=wenv, capture_output=True, text=True).stdout
            elapsed = time.time() - started
            after = snapshot(server.pid)
            result = json.loads(out.split("WRKJSON ")[1])
            n = max(1, result["requests"])
            roles = {}
            lines = []
            for pid, (role, ths) in sorted(after.items()):
                old = before.get(pid, (role, {}))[1]
                r = roles.setdefault(role, [0.0, 0.0])
                for tid, (name, ns, sw, vol) in sorted(ths.items(), key=lambda x: int(x[0])):
                    o = old.get(tid, (name, 0, 0, 0))
                    us, switches, voluntary = (ns - o[1]) / 1e3 / n, (sw - o[2]) / n, (vol - o[3]) / n
                    r[0] += us
                    r[1] += switches
                    if a.per_thread and role in ("worker", "server", "host") and us >= 0.05:
                        lines.append(f"    {role} {pid} thread {tid} ({'main' if tid == str(pid) else name}): "
                                     f"{us:.1f} us, {switches:.2f} switch-ins ({voluntary:.2f} after blocking)")
            for role, v in roles.items():
                per_role.setdefault(role, []).append(v)
            print(f"round {i}: {n / elapsed:.0f} req/s, p50 {result['lat_p50_us'] / 1000:.1f} ms: "
                  + ", ".join(f"{r} {v[0]:.1f} us ({v[1]:.2f} switch-ins)" for r, v in sorted(roles.items()))
                  + " per request")
            for line in lines:
                print(line)
        print("median " + ", ".join(
            f"{r} {statistics.median(x[0] for x in v):.1f} us ({statistics.median(x[1] for x in v):.2f} switch-ins)"
            for r, v in sorted(per_role.items())) + " per request")
    finally:
        main_pids = [pid for pid, (role, _) in snapshot(server.pid).items() if role in ("supervisor", "server")]
        cycle.stop_scratch(server, main_pids[0] if main_pids else None)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
