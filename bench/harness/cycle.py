"""One measurement: start a server, check it, warm it up, load it with wrk, account, stop it."""
import http.client
import json
import re
import os
import resource
import shlex
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time

from . import procs
from .peers import APPS, APPS_DIR, BENCH, MODES, SERVERS, command

LUA = os.path.join(BENCH, "lua", "report.lua")
WRK_ERRORS = ("err_connect", "err_read", "err_write", "err_status", "err_timeout")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_scratch(cmd, port, root, env, scratch):
    """A scratch tool's server (bench/cpu_split.py, bench/wake_cost.py): `cmd` run by the shell
    from ROOT/bench/apps in its own session, its output in SCRATCH/server.log; returned once
    `port` accepts connections and one more second has passed (the workers' start)."""
    log = open(os.path.join(scratch, "server.log"), "w")
    server = subprocess.Popen(cmd, shell=True, cwd=os.path.join(root, "bench", "apps"), env=env,
                              stdout=log, stderr=log, start_new_session=True)
    for _ in range(300):
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            break
        except OSError:
            time.sleep(0.1)
    time.sleep(1.0)
    return server


def stop_scratch(server, main_pid):
    """Stops a start_scratch server: SIGTERM to `main_pid` (yimmo's supervisor: a graceful stop,
    so that --cpu-prof profiles get written), then the whole session after 20 s."""
    if main_pid is not None:
        os.kill(main_pid, signal.SIGTERM)
    try:
        server.wait(20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def check(port, spec, timeout=5.0, tls=False, close=False):
    """One request; raises unless the status is 200 and the body is the expected one, and,
    with `close`, unless the response ends the connection (Connection: close or HTTP/1.0):
    wrk reconnects only after such a response, whatever its request said."""
    if tls:  # the throwaway self-signed certificate of this run: not verified
        conn = http.client.HTTPSConnection("127.0.0.1", port, timeout=timeout, context=ssl._create_unverified_context())
    else:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    headers = {"Connection": "close"} if close else {}
    try:
        if spec.get("post"):
            conn.request("POST", "/", body=b"x" * spec["post"], headers=dict(headers, **{"Content-Type": "application/octet-stream"}))
        else:
            conn.request("GET", "/?a=1&b=2", headers=headers)
        r = conn.getresponse()
        body = r.read()
    finally:
        conn.close()
    if r.status != 200:
        raise RuntimeError(f"status {r.status}: {body[:200]!r}")
    if close and not r.will_close:
        raise RuntimeError("the response to a request with Connection: close keeps the connection alive, "
                           "so wrk would reuse it")
    if "expect_len" in spec and len(body) != spec["expect_len"]:
        raise RuntimeError(f"body length {len(body)} != {spec['expect_len']}")
    if "expect_body" in spec and body != spec["expect_body"]:
        raise RuntimeError(f"body {body[:100]!r} != {spec['expect_body']!r}")
    if "expect_in" in spec and spec["expect_in"] not in body:
        raise RuntimeError(f"body {body[:100]!r} lacks {spec['expect_in']!r}")


def wait_up(proc, port, spec, timeout, tls=False):
    t0, last = time.time(), None
    while time.time() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with status {proc.returncode} (see the log)")
        try:
            check(port, spec, tls=tls)
            return time.time() - t0
        except (OSError, http.client.HTTPException) as e:
            last = e
        time.sleep(0.1)
    raise RuntimeError(f"server not up after {timeout}s: {last!r}")


def wrk_command(port, spec, conns, duration, pin, mode="keepalive"):
    """-> (argv, environment variables for lua/report.lua) of one wrk load."""
    env = {}
    if spec.get("post"):
        env["WRK_POST_BYTES"] = str(spec["post"])
    if MODES[mode]["close"]:
        env["WRK_CLOSE"] = "1"  # lua/report.lua: "Connection: close", so wrk reconnects for every request
    scheme = "https" if MODES[mode]["tls"] else "http"
    cmd = ["wrk", "-t1", f"-c{conns}", f"-d{duration}s", "--timeout=5s", "-s", LUA, f"{scheme}://127.0.0.1:{port}/"]
    if pin is not None:
        cmd = ["taskset", "-c", str(pin)] + cmd
    return cmd, env


def wrk(port, spec, conns, duration, pin, mode="keepalive"):
    cmd, extra = wrk_command(port, spec, conns, duration, pin, mode)
    env = {k: v for k, v in os.environ.items() if k not in ("WRK_CLOSE", "WRK_POST_BYTES")}
    env.update(extra)
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
    res["cmd"] = "".join(f"{k}={v} " for k, v in sorted(extra.items())) + " ".join(cmd)
    res["wrk_cpu_s"] = ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime
    return res


H2_CONNS, H2_STREAMS = 10, 10


def h2load(port, spec, conns, duration, pin, mode="h2"):
    """One h2load run (the "h2" mode): H2_CONNS connections x H2_STREAMS streams for `duration`
    seconds, h2c with prior knowledge. -> the keys wrk() returns, latencies from h2load's
    per-request log (`conns` is wrk's and is not used: the mode fixes its own)."""
    del conns, mode
    log = tempfile.NamedTemporaryFile(prefix="yimmo-h2load-", suffix=".log", delete=False)
    log.close()
    cmd = ["h2load", "-t1", f"-c{H2_CONNS}", f"-m{H2_STREAMS}", f"-D{duration}", "--log-file", log.name,
           f"http://127.0.0.1:{port}/"]
    body = None
    if spec.get("post"):
        body = tempfile.NamedTemporaryFile(prefix="yimmo-h2load-body-", delete=False)
        body.write(b"x" * spec["post"])
        body.close()
        cmd[-1:-1] = ["-d", body.name]
    if pin is not None:
        cmd = ["taskset", "-c", str(pin)] + cmd
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=duration + 30)
        out = p.stdout.decode(errors="replace")
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        # log lines: start time (us since epoch), status, elapsed (us)
        lat = sorted(int(line.split()[2]) for line in open(log.name) if len(line.split()) >= 3)
        statuses = [line.split()[1] for line in open(log.name) if len(line.split()) >= 3]
    except subprocess.TimeoutExpired:
        raise RuntimeError("h2load did not finish in time")
    finally:
        os.unlink(log.name)
        if body is not None:
            os.unlink(body.name)
    m = re.search(r"finished in ([0-9.]+)(m?s)", out)
    r = re.search(r"requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout", out)
    if m is None or r is None or not lat:
        raise RuntimeError(f"h2load failed: {out[-500:]!r}")
    seconds = float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
    pct = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]  # noqa: E731
    return dict(requests=int(r.group(3)), duration_us=seconds * 1e6, lat_p50_us=pct(0.5), lat_p99_us=pct(0.99),
                lat_mean_us=sum(lat) / len(lat), err_connect=0, err_read=int(r.group(6)), err_write=0,
                err_status=sum(1 for s in statuses if not s.startswith("2")), err_timeout=int(r.group(7)),
                cmd=" ".join(cmd), wrk_cpu_s=ru1.ru_utime + ru1.ru_stime - ru0.ru_utime - ru0.ru_stime)


def load(port, spec, conns, duration, pin, mode="keepalive"):
    """The load generator of the mode: h2load for HTTP/2, wrk otherwise."""
    return (h2load if MODES[mode].get("h2") else wrk)(port, spec, conns, duration, pin, mode)


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


def pin_for(server, opts):
    """P=1 servers share one core (--pin-server); P=2 servers get --pin-p2 (default: none)."""
    return opts.get("pin_p2") if SERVERS[server].get("procs", 1) > 1 else opts["pin_server"]


def top_up(port, spec, opts, mode, served, target):
    """Loads in 1 s slices until the server has answered `target` requests (at most 60 s);
    -> requests served. For RSS "after N requests", which a timed run does not guarantee."""
    t0 = time.time()
    while served < target and time.time() - t0 < 60:
        w = load(port, spec, opts["conns"], 1, opts["pin_wrk"], mode)
        if any(w[k] for k in WRK_ERRORS):
            raise RuntimeError(f"wrk errors while topping up to {target} requests")
        served += w["requests"]
    return served


def run(server, app, opts, log, env_extra=None, hooks=None, node_args=None, mode="keepalive"):
    """-> record dict. opts: conns, duration, warmup, pin_server, pin_p2, pin_wrk, startup_timeout,
    cert, key (TLS modes), rss_after (None or a request count to reach before reading the RSS
    of the tree after the load). node_args: Node options for yimmo's supervisor (cluster
    workers inherit its execArgv)."""
    spec, port, tls = APPS[app], free_port(), MODES[mode]["tls"]
    cmd = command(server, app, port, mode, opts.get("cert"), opts.get("key"))
    if node_args:
        cmd = f"node {node_args} {cmd}"
    pin = pin_for(server, opts)
    if pin is not None:
        cmd = f"taskset -c {pin} {cmd}"
    scratch = tempfile.mkdtemp(prefix="yimmo-bench-")  # per-run files of the app (Django's SQLite)
    env = dict(os.environ, PYTHONPATH=APPS_DIR, PYTHONDONTWRITEBYTECODE="1", BENCH_DJANGO_DIR=scratch)
    env.pop("NODE_OPTIONS", None)
    env.update(env_extra or {})
    rec = dict(server=server, app=app, mode=mode, cmd=cmd, conns=opts["conns"], duration=opts["duration"],
               pin=None if pin is None else str(pin))
    log.write(f"\n===== {time.strftime('%H:%M:%S')} {server} {app} {mode}: {cmd}\n")
    log.flush()
    proc = subprocess.Popen(shlex.split(cmd), cwd=APPS_DIR, env=env, stdout=log, stderr=log,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        rec["startup_s"] = round(wait_up(proc, port, spec, opts["startup_timeout"], tls), 2)
        rec["rss_idle_roles"] = procs.settled_rss_by_role(proc.pid)
        served = 1
        if opts["warmup"] > 0:
            warm = load(port, spec, opts["conns"], opts["warmup"], opts["pin_wrk"], mode)
            rec["warmup_errors"] = sum(warm[k] for k in WRK_ERRORS)
            served += warm["requests"]
        check(port, spec, tls=tls, close=MODES[mode]["close"])
        pids = procs.tree(proc.pid)
        rec["processes"] = len(pids)
        if hooks:
            hooks.before(pids)
        sampler = procs.RssSampler(proc.pid)
        sampler.start()
        cpu0, busy0, t0 = procs.cpu_by_pid(pids), procs.machine_busy_s(), time.time()
        w = load(port, spec, opts["conns"], opts["duration"], opts["pin_wrk"], mode)
        elapsed = time.time() - t0
        pids = procs.tree(proc.pid)
        cpu1, busy1 = procs.cpu_by_pid(pids), procs.machine_busy_s()
        sampler.stop()
        if hooks:
            hooks.after(pids)
        check(port, spec, tls=tls)  # still correct after the load
        served += w["requests"] + 2
        if opts.get("rss_after"):
            served = top_up(port, spec, opts, mode, served, opts["rss_after"])
        rec["requests_served"] = served
        rec["rss_after"] = sum(size for _, size in procs.rss_by_role(proc.pid).values())
        n = max(1, w["requests"])
        split = procs.cpu_split_s(cpu0, cpu1)
        by_role = procs.cpu_split_by_role_s(cpu0, cpu1, procs.roles(proc.pid, pids))
        server_cpu = sum(split.values())
        rec.update(
            wrk=w["cmd"], requests=w["requests"], rps=w["requests"] / (w["duration_us"] / 1e6),
            p50_ms=w["lat_p50_us"] / 1000, p99_ms=w["lat_p99_us"] / 1000, mean_ms=w["lat_mean_us"] / 1000,
            errors={k[4:]: w[k] for k in WRK_ERRORS if w[k]},
            cpu_us=server_cpu * 1e6 / n, cpu_split_us={k: v * 1e6 / n for k, v in sorted(split.items())},
            cpu_roles_us={k: v * 1e6 / n for k, v in sorted(by_role.items())},
            server_util=server_cpu / elapsed,
            wrk_util=w["wrk_cpu_s"] / elapsed,  # near 1.0: wrk, not the server, may be the limit
            other_util=max(0.0, busy1 - busy0 - server_cpu - w["wrk_cpu_s"]) / elapsed,  # anything else running
            rss_peak=sampler.peak, rss_peak_children=sampler.peak_children, rss_load_roles=sampler.roles,
            pss_after=procs.pss(pids),
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
        shutil.rmtree(scratch, ignore_errors=True)
        if hooks:
            hooks.stopped()
    return rec
