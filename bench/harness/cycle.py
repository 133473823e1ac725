"""One measurement: start a server, check it, warm it up, load it with wrk, account, stop it."""
import http.client
import json
import os
import resource
import shlex
import signal
import socket
import subprocess
import time

from . import procs
from .peers import APPS, APPS_DIR, BENCH, SERVERS, command

LUA = os.path.join(BENCH, "lua", "report.lua")
WRK_ERRORS = ("err_connect", "err_read", "err_write", "err_status", "err_timeout")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check(port, spec, timeout=5.0):
    """One request; raises unless the status is 200 and the body is the expected one."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        if spec.get("post"):
            conn.request("POST", "/", body=b"x" * spec["post"], headers={"Content-Type": "application/octet-stream"})
        else:
            conn.request("GET", "/?a=1&b=2")
        r = conn.getresponse()
        body = r.read()
    finally:
        conn.close()
    if r.status != 200:
        raise RuntimeError(f"status {r.status}: {body[:200]!r}")
    if "expect_len" in spec and len(body) != spec["expect_len"]:
        raise RuntimeError(f"body length {len(body)} != {spec['expect_len']}")
    if "expect_body" in spec and body != spec["expect_body"]:
        raise RuntimeError(f"body {body[:100]!r} != {spec['expect_body']!r}")


def wait_up(proc, port, spec, timeout):
    t0, last = time.time(), None
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} (see the log)")
        try:
            check(port, spec)
            return time.time() - t0
        except (OSError, http.client.HTTPException) as e:
            last = e
        time.sleep(0.1)
    raise RuntimeError(f"server not up after {timeout}s: {last!r}")


def wrk(port, spec, conns, duration, pin):
    env = dict(os.environ)
    if spec.get("post"):
        env["WRK_POST_BYTES"] = str(spec["post"])
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--timeout=5s", "-s", LUA, f"http://127.0.0.1:{port}/"]
    if pin is not None:
        cmd = ["taskset", "-c", str(pin)] + cmd
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
    try:
        out, _ = p.communicate(timeout=duration + 30)  # every load is bounded in time
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise RuntimeError("wrk did not finish in time")
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = next((json.loads(line[8:]) for line in out.decode(errors="replace").splitlines()
                if line.startswith("WRKJSON ")), None)
    if res is None:
        raise RuntimeError(f"wrk failed: {out[-500:]!r}")
    res["cmd"] = " ".join(cmd)
    res["wrk_cpu_s"] = ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime
    return res


def stop(proc, how="SIGTERM"):
    if proc.poll() is None:
        pids = procs.tree(proc.pid)
        try:
            os.kill(proc.pid, getattr(signal, how))
            proc.wait(10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            pass
        time.sleep(0.2)
        for pid in pids:  # leftovers of this tree, by pid
            if procs.stat(pid) is not None:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    if proc.poll() is None:
        proc.kill()
    proc.wait()


def run(server, app, opts, log, env_extra=None, hooks=None, node_args=None):
    """-> record dict. opts: conns, duration, warmup, pin_server, pin_wrk, startup_timeout.
    node_args: Node options for yimmo's supervisor (cluster workers inherit its execArgv)."""
    spec, port = APPS[app], free_port()
    cmd = command(server, app, port)
    if node_args:
        cmd = f"node {node_args} {cmd}"
    if opts["pin_server"] is not None:
        cmd = f"taskset -c {opts['pin_server']} {cmd}"
    env = dict(os.environ, PYTHONPATH=APPS_DIR, PYTHONDONTWRITEBYTECODE="1")
    env.pop("NODE_OPTIONS", None)
    env.update(env_extra or {})
    rec = dict(server=server, app=app, cmd=cmd, conns=opts["conns"], duration=opts["duration"])
    log.write(f"\n===== {time.strftime('%H:%M:%S')} {server} {app}: {cmd}\n")
    log.flush()
    proc = subprocess.Popen(shlex.split(cmd), cwd=APPS_DIR, env=env, stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        rec["startup_s"] = round(wait_up(proc, port, spec, opts["startup_timeout"]), 2)
        if opts["warmup"] > 0:
            warm = wrk(port, spec, opts["conns"], opts["warmup"], opts["pin_wrk"])
            rec["warmup_errors"] = sum(warm[k] for k in WRK_ERRORS)
        check(port, spec)
        pids = procs.tree(proc.pid)
        rec["processes"] = len(pids)
        if hooks:
            hooks.before(pids)
        sampler = procs.RssSampler(proc.pid)
        sampler.start()
        cpu0, busy0, t0 = procs.cpu_by_pid(pids), procs.machine_busy_s(), time.time()
        w = wrk(port, spec, opts["conns"], opts["duration"], opts["pin_wrk"])
        elapsed = time.time() - t0
        pids = procs.tree(proc.pid)
        cpu1, busy1 = procs.cpu_by_pid(pids), procs.machine_busy_s()
        sampler.stop()
        if hooks:
            hooks.after(pids)
        check(port, spec)  # still correct after the load
        n = max(1, w["requests"])
        split = procs.cpu_split_s(cpu0, cpu1)
        server_cpu = sum(split.values())
        rec.update(
            wrk=w["cmd"], requests=w["requests"], rps=w["requests"] / (w["duration_us"] / 1e6),
            p50_ms=w["lat_p50_us"] / 1000, p99_ms=w["lat_p99_us"] / 1000, mean_ms=w["lat_mean_us"] / 1000,
            errors={k[4:]: w[k] for k in WRK_ERRORS if w[k]},
            cpu_us=server_cpu * 1e6 / n, cpu_split_us={k: v * 1e6 / n for k, v in sorted(split.items())},
            server_util=server_cpu / elapsed,
            wrk_util=w["wrk_cpu_s"] / elapsed,  # near 1.0: wrk, not the server, may be the limit
            other_util=max(0.0, busy1 - busy0 - server_cpu - w["wrk_cpu_s"]) / elapsed,  # anything else running
            rss_peak=sampler.peak, rss_peak_children=sampler.peak_children, pss_after=procs.pss(pids),
        )
        # Little's law: connections with a request outstanding, on average. Far below
        # `conns` means connections starved (wrk does not count them as errors).
        rec["busy_conns"] = rec["rps"] * rec["mean_ms"] / 1000
        if rec["errors"] or rec.get("warmup_errors"):
            rec["failed"] = f"wrk errors {rec['errors']} (warm-up: {rec.get('warmup_errors')})"
    except Exception as e:  # noqa: BLE001 - one failed cycle must not lose the others
        rec["failed"] = f"{type(e).__name__}: {e}"[:300]
    finally:
        stop(proc, SERVERS[server].get("stop", "SIGTERM"))
        if hooks:
            hooks.stopped()
    return rec
