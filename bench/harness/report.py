"""Medians over rounds, ratios, the issue's targets, and the .json/.md/.svg files."""
import json
import statistics

from .peers import APPS, PY, SERVERS
from .svg import chart

MB = 1 << 20
# (app, peer, minimum ratio of yimmo's req/s to the peer's) and absolute floors; issue 5
RATIO_TARGETS = [("hello", "gunicorn-gthread", 7.0), ("hello", "uwsgi", 1.6), ("flask", "gunicorn-gthread", 2.4),
                 ("flask", "uwsgi", 1.25), ("large", "gunicorn-gthread", 1.0), ("echo", "uwsgi", 1.2)]
SLEEP_FLOOR = 0.9 * 2 * 100  # 0.9 x (threads x 100) req/s: 2 threads, 10 ms each
RSS_CEILING_MB = 90  # one worker plus its host


def _med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def unsaturated(row):
    """The server left its core partly idle (wrk or other load was the limit), so its req/s
    says more about the client than about the server. Not meaningful for sleep (thread-bound)."""
    return row["app"] != "sleep" and row.get("server_util", 1) < 0.85


def summarize(records, servers, apps):
    rows = []
    for app in apps:
        for s in servers:
            mine = [r for r in records if r["server"] == s and r["app"] == app]
            ok = [r for r in mine if "failed" not in r and "skipped" not in r]
            quiet = [r for r in ok if not r.get("noisy")]
            noisy = len(ok) - len(quiet)
            ok = quiet or ok  # runs disturbed by other load count only when there is nothing else
            if not mine:
                continue
            row = dict(app=app, server=s, runs=len(ok), noisy=noisy, noisy_kept=bool(noisy and not quiet),
                       failed=[r["failed"] for r in mine if "failed" in r],
                       skipped=next((r["skipped"] for r in mine if "skipped" in r), None))
            if ok:
                kinds = sorted({k for r in ok for k in r["cpu_split_us"]})
                row.update({k: _med([r[k] for r in ok]) for k in (
                    "rps", "p50_ms", "p99_ms", "cpu_us", "rss_peak", "rss_peak_children", "pss_after",
                    "busy_conns", "wrk_util", "other_util", "server_util")})
                row["rps_all"] = [round(r["rps"]) for r in ok]
                row["cpu_split_us"] = {k: _med([r["cpu_split_us"].get(k, 0.0) for r in ok]) for k in kinds}
                row["unsaturated"] = unsaturated(row)
            rows.append(row)
    by = {(r["app"], r["server"]): r for r in rows}
    for r in rows:
        for peer in ("gunicorn-gthread", "uwsgi", "uwsgi-router"):
            base = by.get((r["app"], peer))
            if r.get("rps") and base and base.get("rps"):
                r["vs_" + peer] = r["rps"] / base["rps"]
                r["cpu_vs_" + peer] = base["cpu_us"] / r["cpu_us"]  # > 1: less CPU per request than the peer
    return rows


def targets(rows):
    """A req/s ratio compares servers only when both kept their core busy; when one did not
    (the client was the limit), the ratio of CPU time per request stands in for capacity."""
    by = {(r["app"], r["server"]): r for r in rows}
    out = []
    for app, peer, need in RATIO_TARGETS:
        me, other = by.get((app, "yimmo"), {}), by.get((app, peer), {})
        rps, cpu = me.get("vs_" + peer), me.get("cpu_vs_" + peer)
        use_cpu = me.get("unsaturated") or other.get("unsaturated")
        got = cpu if use_cpu else rps
        out.append(dict(what=f"{app}: yimmo / {peer}", need=f">= {need}x", got=got, rps_ratio=rps, cpu_ratio=cpu,
                        basis="CPU/request (a server core not saturated)" if use_cpu else "req/s",
                        met=got is not None and got >= need, gap=None if got is None else got / need - 1))
    s = by.get(("sleep", "yimmo"), {}).get("rps")
    out.append(dict(what="sleep 10 ms, 50 conns: yimmo req/s", need=f">= {SLEEP_FLOOR:.0f}", got=s, basis="req/s",
                    met=s is not None and s >= SLEEP_FLOOR, gap=None if s is None else s / SLEEP_FLOOR - 1))
    rss = [r["rss_peak_children"] / MB for r in rows if r["server"] == "yimmo" and r.get("rss_peak_children")]
    m = max(rss) if rss else None
    out.append(dict(what="peak RSS, worker + host (max over apps), MB", need=f"<= {RSS_CEILING_MB}", got=m, basis="RSS",
                    met=m is not None and m <= RSS_CEILING_MB, gap=None if m is None else RSS_CEILING_MB / m - 1))
    return out


def _f(x, spec):
    return "-" if x is None else format(x, spec)


def markdown(meta, rows, tgts):
    m, o = meta["machine"], meta["options"]
    lines = [f"# Benchmark results: {meta['label']}", "",
             f"{meta['started']}, `{meta['argv']}`", "",
             f"Machine: {m['cpu']}, {m['cores']} cores, kernel {m['kernel']}; Node {m['node']}; Python {m['python']}; "
             f"yimmo-wsgi {m['yimmo-wsgi']}; gunicorn {m['gunicorn']}; uWSGI {m['uWSGI']}; waitress {m['waitress']}; "
             f"Flask {m['flask']}; {m['wrk']}.", "",
             f"Load: `wrk -t1 -c{o['conns']} -d{o['duration']}s` after a {o['warmup']} s warm-up, {o['rounds']} round(s), "
             f"server order rotated each round; server tree pinned to CPU {o['pin_server']}, wrk to CPU {o['pin_wrk']}. "
             "Medians over rounds. CPU = server tree CPU time per request (Node / Python / other). "
             "RSS = peak of the summed RSS of the whole tree, and without its root (yimmo: worker + host). "
             "Server/wrk cores = CPU time / wall time; * = the server's core was not saturated. "
             "Busy conns = req/s x mean latency (Little's law): far below the connection count means "
             "connections waited outside the measured latency (reconnects) or starved.", "",
             "| app | server | req/s | vs gthread | vs uWSGI | p50 ms | p99 ms | CPU us/req | split us/req | "
             "server cores | wrk cores | RSS MB | w/o root | busy conns |",
             "|---|---|--:|--:|--:|--:|--:|--:|---|--:|--:|--:|--:|--:|"]
    for r in rows:
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
            f"{_f(r.get('vs_uwsgi'), '.2f')} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['cpu_us']:.0f} | {split} | "
            f"{r['server_util']:.2f}{' *' if r['unsaturated'] else ''} | {r['wrk_util']:.2f} | "
            f"{r['rss_peak'] / MB:.0f} | {r['rss_peak_children'] / MB:.0f} | {r['busy_conns']:.0f} |")
    lines += ["", "## Targets (issue 5)", "",
              "Ratios are yimmo's req/s over the peer's, unless one of the two left its core partly idle (the "
              "client was the limit): then the ratio of CPU time per request (peer / yimmo) is the measure.", "",
              "| target | need | got | basis | req/s ratio | CPU/req ratio | verdict |", "|---|---|--:|---|--:|--:|---|"]
    for t in tgts:
        verdict = "met" if t["met"] else ("no data" if t["got"] is None else f"missed by {-t['gap'] * 100:.0f}%")
        lines.append(f"| {t['what']} | {t['need']} | {_f(t['got'], '.2f')} | {t['basis']} | "
                     f"{_f(t.get('rps_ratio'), '.2f')} | {_f(t.get('cpu_ratio'), '.2f')} | {verdict} |")
    lines += ["", "## Commands", ""] + [
        f"- {s}: `{SERVERS[s]['cmd'].format(port='{port}', module='{module}', apps='bench/apps', py=PY, root='.')}`"
        for s in meta["servers"]]
    lines += ["", "Apps: " + "; ".join(f"{a}: {APPS[a]['desc']}" for a in meta["apps"]) + "."]
    return "\n".join(lines) + "\n"


def write(base, meta, records):
    rows = summarize(records, meta["servers"], meta["apps"])
    tgts = targets(rows)
    with open(base + ".json", "w") as f:
        json.dump(dict(meta=meta, summary=rows, targets=tgts, records=records), f, indent=1)
    with open(base + ".md", "w") as f:
        f.write(markdown(meta, rows, tgts))
    with open(base + ".svg", "w") as f:
        f.write(chart(rows, meta["apps"], meta["servers"], meta["machine"]))
    return rows, tgts
