"""Medians over rounds, ratios, the targets (targets.py), and the .json/.md/.svg files."""
import json
import statistics

from . import targets as T
from .peers import APPS, MODES, PY, SERVERS
from .svg import chart

MB = 1 << 20
PEERS = ("gunicorn-gthread", "gunicorn-gthread-p2", "uwsgi", "uwsgi-http11", "uwsgi-router")
ROLE_ORDER = ("supervisor", "master", "server", "worker", "host", "worker child")


def _med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def unsaturated(row):
    """A server pinned to one core left it partly idle (wrk or other load was the limit), so its
    req/s says more about the client than about the server. Not judged for sleep (thread-bound)
    nor for servers spread over several cores (P=2, unpinned)."""
    one_core = row.get("pin") is not None and str(row["pin"]).isdigit()
    return one_core and row["app"] != "sleep" and row.get("server_util", 1) < 0.85


def _roles(recs, key):
    """Median per role of [processes, summed RSS] over the runs."""
    names = {k for r in recs for k in (r.get(key) or {})}
    return {k: [max((r.get(key) or {}).get(k, [0, 0])[0] for r in recs),
                _med([(r.get(key) or {}).get(k, [0, None])[1] for r in recs])] for k in names}


def summarize(records, servers, apps, modes=("keepalive",), pin_server=None):
    """pin_server: where P=1 servers ran, for records written before each record kept its pin."""
    rows = []
    for mode in modes:
        for app in apps:
            for s in servers:
                mine = [r for r in records if r["server"] == s and r["app"] == app and r.get("mode", "keepalive") == mode]
                if not mine:
                    continue
                ok = [r for r in mine if "failed" not in r and "skipped" not in r]
                quiet = [r for r in ok if not r.get("noisy")]
                noisy = len(ok) - len(quiet)
                ok = quiet or ok  # runs disturbed by other load count only when there is nothing else
                row = dict(mode=mode, app=app, server=s, runs=len(ok), noisy=noisy, noisy_kept=bool(noisy and not quiet),
                           failed=[r["failed"] for r in mine if "failed" in r],
                           skipped=next((r["skipped"] for r in mine if "skipped" in r), None))
                if ok:
                    kinds = sorted({k for r in ok for k in r["cpu_split_us"]})
                    row.update({k: _med([r.get(k) for r in ok]) for k in (
                        "rps", "p50_ms", "p99_ms", "cpu_us", "rss_peak", "rss_peak_children", "pss_after",
                        "busy_conns", "wrk_util", "other_util", "server_util", "rss_after")})
                    row["requests_served"] = min(r.get("requests_served") or 0 for r in ok)
                    old = None if pin_server is None or SERVERS[s].get("procs", 1) > 1 else str(pin_server)
                    row["pin"] = ok[0].get("pin", old)
                    row["rps_all"] = [round(r["rps"]) for r in ok]
                    row["cpu_split_us"] = {k: _med([r["cpu_split_us"].get(k, 0.0) for r in ok]) for k in kinds}
                    role_names = {k for r in ok for k in r.get("cpu_roles_us") or {}}
                    row["cpu_roles_us"] = {k: _med([(r.get("cpu_roles_us") or {}).get(k, 0.0) for r in ok]) for k in role_names}
                    row["rss_idle_roles"] = _roles(ok, "rss_idle_roles")
                    row["rss_load_roles"] = _roles(ok, "rss_load_roles")
                    row["unsaturated"] = unsaturated(row)
                rows.append(row)
    by = {(r["mode"], r["app"], r["server"]): r for r in rows}
    for r in rows:
        for peer in PEERS:
            base = by.get((r["mode"], r["app"], peer))
            if r.get("rps") and base and base.get("rps"):
                r["vs_" + peer] = r["rps"] / base["rps"]
                r["cpu_vs_" + peer] = base["cpu_us"] / r["cpu_us"]  # > 1: less CPU per request than the peer
    return rows


def evaluate(rows, tgts):
    by = {(r["mode"], r["app"], r["server"]): r for r in rows}
    return [T.evaluate(t, by) for t in tgts]


def _f(x, spec):
    return "-" if x is None else format(x, spec)


def roles_text(roles):
    """{'worker': [2, 123456789]} -> 'worker 2x 118' (MB, summed over the processes of that kind)."""
    order = sorted(roles, key=lambda k: ROLE_ORDER.index(k) if k in ROLE_ORDER else 99)
    return ", ".join(f"{k} {'%dx ' % roles[k][0] if roles[k][0] > 1 else ''}{_f(roles[k][1] and roles[k][1] / MB, '.0f')}"
                     for k in order)


def _targets_table(title, verdicts):
    have = [v for v in verdicts if v["got"] is not None or v["basis"].startswith("RSS (")]
    missing = [v["what"] for v in verdicts if v not in have]
    lines = ["", f"## {title}", ""]
    if have:
        lines += ["| target | need | got | basis | req/s ratio | CPU/req ratio | verdict |", "|---|---|--:|---|--:|--:|---|"]
        lines += [f"| {v['what']} | {v['need']} | {_f(v['got'], '.2f')} | {v['basis']} | {_f(v['rps_ratio'], '.2f')} | "
                  f"{_f(v['cpu_ratio'], '.2f')} | {T.verdict(v)} |" for v in have]
    if missing:
        lines += ["", "Not measured in this run: " + "; ".join(missing) + "."]
    return lines


def markdown(meta, rows, verdicts):
    m, o = meta["machine"], meta["options"]
    modes = meta.get("modes", ["keepalive"])
    lines = [f"# Benchmark results: {meta['label']}", "",
             f"{meta['started']}, `{meta['argv']}`", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, kernel {m['kernel']}; Node {m['node']}; Python {m['python']}; "
             f"yimmo-wsgi {m['yimmo-wsgi']}; gunicorn {m['gunicorn']}; uWSGI {m['uWSGI']}; waitress {m['waitress']}; "
             f"Flask {m['flask']}; Django {m.get('django', '?')}; {m['wrk']}.", "",
             f"Load: `wrk -t1 -c{o['conns']} -d{o['duration']}s` after a {o['warmup']} s warm-up, {o['rounds']} round(s), "
             f"server order rotated each round; P=1 server trees pinned to CPU {o['pin_server']}, P=2 to "
             f"{o.get('pin_p2') if o.get('pin_p2') is not None else 'none (all CPUs)'}, wrk to CPU {o['pin_wrk']}. "
             "Medians over rounds. CPU = server tree CPU time per request (Node / Python / other). "
             "RSS = peak of the summed RSS of the whole tree, and without its root (yimmo: worker + host). "
             "Server/wrk cores = CPU time / wall time; * = a server pinned to one core did not saturate it. "
             "Busy conns = req/s x mean latency (Little's law): far below the connection count means "
             "connections waited outside the measured latency (reconnects) or starved."]
    for mode in modes:
        mine = [r for r in rows if r["mode"] == mode]
        if not mine:
            continue
        ref = "uwsgi-http11" if any(r["server"] == "uwsgi-http11" for r in mine) else "uwsgi"
        lines += ["", f"## {MODES[mode]['title'].capitalize()} (`{mode}`)", "",
                  f"| app | server | req/s | vs gthread | vs {'uWSGI http11' if ref == 'uwsgi-http11' else 'uWSGI'} | p50 ms | p99 ms | CPU us/req | split us/req | "
                  "server cores | wrk cores | RSS MB | w/o root | busy conns |",
                  "|---|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|"]
        for r in mine:
            if r["skipped"]:
                lines.append(f"| {r['app']} | {r['server']} | n/a: {r['skipped']} |||||||||||")
                continue
            if not r["runs"]:
                lines.append(f"| {r['app']} | {r['server']} | FAILED: {r['failed'][0][:90]} |||||||||||")
                continue
            split = " ".join(f"{k} {v:.0f}" for k, v in r["cpu_split_us"].items())
            fail = f" ({len(r['failed'])} failed)" if r["failed"] else ""
            if r["noisy"]:
                fail += f" ({r['noisy']} noisy run(s) {'kept: no quiet one' if r['noisy_kept'] else 'left out'})"
            lines.append(
                f"| {r['app']} | {r['server']}{fail} | {r['rps']:,.0f} | {_f(r.get('vs_gunicorn-gthread'), '.2f')} | "
                f"{_f(r.get('vs_' + ref), '.2f')} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['cpu_us']:.0f} | {split} | "
                f"{r['server_util']:.2f}{' *' if r['unsaturated'] else ''} | {r['wrk_util']:.2f} | "
                f"{r['rss_peak'] / MB:.0f} | {r['rss_peak_children'] / MB:.0f} | {r['busy_conns']:.0f} |")
    mem = [r for r in rows if r.get("runs") and r.get("rss_load_roles")]  # older records have no roles
    lines += [] if not mem else ["", "## By process kind: CPU and memory", "",
              "CPU = CPU time per request of each kind of process over the measured run, in us. RSS in MB, summed "
              "over the processes of each kind (`2x`: two of them): idle = after startup and one "
              "request; load = peak during the measured run; after = the whole tree after the load (after at least "
              "the number of requests shown: the RSS target's cells are loaded until they reach it).", "",
              "| mode | app | server | CPU us/req | idle RSS | load RSS | after MB | after requests |",
              "|---|---|---|---|---|---|--:|--:|"]
    for r in mem:
        cpu = ", ".join(f"{k} {v:.0f}" for k, v in sorted(
            (r.get("cpu_roles_us") or {}).items(), key=lambda kv: ROLE_ORDER.index(kv[0]) if kv[0] in ROLE_ORDER else 99))
        lines.append(f"| {r['mode']} | {r['app']} | {r['server']} | {cpu or '-'} | {roles_text(r['rss_idle_roles'])} | "
                     f"{roles_text(r['rss_load_roles'])} | {_f(r.get('rss_after') and r['rss_after'] / MB, '.0f')} | "
                     f"{r.get('requests_served') or '-'} |")
    n5 = len(T.ISSUE5)
    lines += _targets_table("Targets of issue 13", verdicts[n5:])
    lines += ["", "Ratios are the first server's req/s over the second's, in the same run, unless one of two servers "
              "pinned to one core left it partly idle (the client was the limit): then the ratio of CPU time per "
              "request (peer / yimmo) is the measure. A P=2 server is never judged unsaturated."]
    lines += _targets_table("Targets of issue 5", verdicts[:n5])
    lines += ["", "## Commands", ""] + [
        f"- {s}: `{SERVERS[s]['cmd'].format(port='{port}', module='{module}', apps='bench/apps', py=PY, root='.', tls='{tls}', close='{close}')}`"
        + "".join(f" (`{{{k}}}` in the {k} modes: `{SERVERS[s][k].strip()}`)" for k in ("tls", "close") if k in SERVERS[s])
        for s in meta["servers"]]
    lines += ["", "Apps: " + "; ".join(f"{a}: {APPS[a]['desc']}" for a in meta["apps"]) + "."]
    return "\n".join(lines) + "\n"


def write(base, meta, records):
    rows = summarize(records, meta["servers"], meta["apps"], meta.get("modes", ["keepalive"]),
                     meta["options"].get("pin_server"))
    verdicts = evaluate(rows, T.ISSUE5 + T.with_rss_after(T.ISSUE13, meta["options"].get("rss_after")))
    with open(base + ".json", "w") as f:
        json.dump(dict(meta=meta, summary=rows, targets=verdicts, records=records), f, indent=1)
    with open(base + ".md", "w") as f:
        f.write(markdown(meta, rows, verdicts))
    with open(base + ".svg", "w") as f:
        f.write(chart(rows, meta["apps"], meta["servers"], meta["machine"], meta.get("modes", ["keepalive"])))
    return rows, verdicts
