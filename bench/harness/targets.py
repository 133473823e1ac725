"""The performance targets of issues 5 and 13, and their verdicts from the summary rows (pure).

A target is a dict:
  kind "ratio": yimmo-side server `me` over `peer`, same mode and app, `need` the minimum.
      basis "auto" (default): req/s, unless a pinned server of the pair left its core partly
      idle (the client was the limit), then CPU time per request (peer / me); "rps" or "cpu"
      force one.
  kind "max": `field` of (mode, app, server) (a dotted path into the row) at most `need`.
  kind "min": the same, at least `need`.
  kind "rss": `rss_after` (tree RSS after at least `requests` requests) of `me` over `peer`,
      at most `need`.
"""
MB = 1 << 20

ISSUE5 = [
    dict(kind="ratio", mode="keepalive", app="hello", me="yimmo", peer="gunicorn-gthread", need=7.0),
    dict(kind="ratio", mode="keepalive", app="hello", me="yimmo", peer="uwsgi", need=1.6),
    dict(kind="ratio", mode="keepalive", app="flask", me="yimmo", peer="gunicorn-gthread", need=2.4),
    dict(kind="ratio", mode="keepalive", app="flask", me="yimmo", peer="uwsgi", need=1.25),
    dict(kind="ratio", mode="keepalive", app="large", me="yimmo", peer="gunicorn-gthread", need=1.0),
    dict(kind="ratio", mode="keepalive", app="echo", me="yimmo", peer="uwsgi", need=1.2),
    # 0.9 x (threads x 100) req/s: 2 threads, 10 ms each
    dict(kind="min", mode="keepalive", app="sleep", server="yimmo", field="rps", need=180, what="sleep 10 ms, 50 conns: yimmo req/s"),
    dict(kind="max", mode="keepalive", app="*", server="yimmo", field="rss_peak_children", scale=MB, need=90,
         what="peak RSS, worker + host (max over apps), MB"),
]

RSS_AFTER_REQUESTS = 10000
ISSUE13 = [
    dict(kind="ratio", mode="close", app="hello", me="yimmo", peer="gunicorn-gthread", need=2.5),
    dict(kind="ratio", mode="close", app="hello", me="yimmo", peer="uwsgi-http11", need=0.5),
    # P=2 must not be slower than P=1: throughput, whatever the cores did
    dict(kind="ratio", mode="close", app="hello", me="yimmo-p2", peer="yimmo", need=1.0, basis="rps"),
    dict(kind="ratio", mode="close", app="django", me="yimmo", peer="uwsgi-http11", need=1.1),
    dict(kind="ratio", mode="keepalive", app="django", me="yimmo", peer="uwsgi-http11", need=1.1),
    dict(kind="max", mode="keepalive", app="django", server="yimmo", field="cpu_split_us.node", need=40,
         what="keepalive django: yimmo Node CPU us/request"),
    dict(kind="ratio", mode="keepalive", app="hello", me="yimmo", peer="gunicorn-gthread", need=7.0),
    dict(kind="ratio", mode="keepalive", app="hello", me="yimmo", peer="uwsgi-http11", need=1.0, basis="cpu",
         what="keepalive hello: CPU/request, uwsgi-http11 / yimmo"),
    dict(kind="ratio", mode="tls-close", app="hello", me="yimmo", peer="gunicorn-gthread", need=1.5),
    dict(kind="ratio", mode="tls", app="hello", me="yimmo", peer="gunicorn-gthread", need=1.5),
    dict(kind="rss", mode="keepalive", app="django", me="yimmo-p2t4", peer="gunicorn-gthread-p2", need=1.3,
         requests=RSS_AFTER_REQUESTS),
]


def title(t):
    if "what" in t:
        return t["what"]
    if t["kind"] == "rss":
        return (f"{t['mode']} {t['app']}: tree RSS after {t['requests']:,} requests, "
                f"{t['me']} / {t['peer']}")
    return f"{t['mode']} {t['app']}: {t['me']} / {t['peer']}"


def need_text(t):
    if t["kind"] == "ratio":
        return f">= {t['need']}x"
    if t["kind"] == "rss":
        return f"<= {t['need']}x"
    return (">= " if t["kind"] == "min" else "<= ") + f"{t['need']}"


def _get(row, field):
    x = row
    for part in field.split("."):
        x = x.get(part) if isinstance(x, dict) else None
    return x


def with_rss_after(tgts, requests):
    """The targets with the RSS ones' request count set to the run's --rss-after."""
    return [dict(t, requests=requests) if t["kind"] == "rss" and requests else t for t in tgts]


def rss_cells(tgts):
    """(mode, app, server) cells whose tree RSS must be read after a number of requests -> that number."""
    out = {}
    for t in tgts:
        if t["kind"] == "rss":
            for s in (t["me"], t["peer"]):
                out[(t["mode"], t["app"], s)] = t["requests"]
    return out


def evaluate(t, by):
    """-> verdict dict for target t; `by` maps (mode, app, server) to summary rows."""
    out = dict(what=title(t), need=need_text(t), rps_ratio=None, cpu_ratio=None, got=None, basis="-")
    if t["kind"] == "ratio":
        me, other = by.get((t["mode"], t["app"], t["me"]), {}), by.get((t["mode"], t["app"], t["peer"]), {})
        if me.get("rps") and other.get("rps"):
            out["rps_ratio"] = me["rps"] / other["rps"]
            out["cpu_ratio"] = other["cpu_us"] / me["cpu_us"] if me.get("cpu_us") else None
        basis = t.get("basis", "auto")
        if basis == "auto":
            basis = "cpu" if me.get("unsaturated") or other.get("unsaturated") else "rps"
        out["got"] = out["cpu_ratio"] if basis == "cpu" else out["rps_ratio"]
        out["basis"] = ("CPU/request (a server core not saturated)" if t.get("basis", "auto") == "auto" else
                        "CPU/request") if basis == "cpu" else "req/s"
        met = out["got"] is not None and out["got"] >= t["need"]
        gap = None if out["got"] is None else out["got"] / t["need"] - 1
    elif t["kind"] == "rss":
        me, other = by.get((t["mode"], t["app"], t["me"]), {}), by.get((t["mode"], t["app"], t["peer"]), {})
        few = [r["server"] for r in (me, other) if r and (r.get("requests_served") or 0) < t["requests"]]
        if me.get("rss_after") and other.get("rss_after") and not few:
            out["got"] = me["rss_after"] / other["rss_after"]
        out["basis"] = (f"RSS MB {me['rss_after'] / MB:.0f} / {other['rss_after'] / MB:.0f}"
                        if out["got"] is not None else "RSS" + (f" (fewer than {t['requests']} requests: {', '.join(few)})" if few else ""))
        met = out["got"] is not None and out["got"] <= t["need"]
        gap = None if out["got"] is None else t["need"] / out["got"] - 1
    else:
        scale = t.get("scale", 1)
        vals = [_get(r, t["field"]) for (m, a, s), r in by.items()
                if m == t["mode"] and s == t["server"] and (t["app"] == "*" or a == t["app"])]
        vals = [v / scale for v in vals if v is not None]
        if vals:
            out["got"] = max(vals) if t["kind"] == "max" else min(vals)
        out["basis"] = t["field"]
        if out["got"] is None:
            met, gap = False, None
        elif t["kind"] == "max":
            met, gap = out["got"] <= t["need"], (t["need"] / out["got"] - 1 if out["got"] else 0.0)
        else:
            met, gap = out["got"] >= t["need"], out["got"] / t["need"] - 1
    out.update(met=met, gap=gap)
    return out


def verdict(v):
    return "met" if v["met"] else ("no data" if v["got"] is None else f"missed by {-v['gap'] * 100:.0f}%")
