"""A hand-written SVG bar chart: one panel per app, one row per server, one column per connection
mode (keep-alive, new connection per request, and the TLS ones when run) side by side, all
columns of a panel on one scale (req/s, median)."""
from html import escape

from .peers import MODES, SERVERS

COLORS = {"yimmo": "#d9480f", "yimmo-p2": "#f76707", "yimmo-p2t4": "#ff922b",
          "gunicorn-gthread": "#1c7ed6", "gunicorn-gthread-p2": "#4dabf7", "gunicorn-sync": "#74c0fc",
          "uwsgi": "#2b8a3e", "uwsgi-http11": "#8ce99a", "uwsgi-http11-p2": "#b2f2bb", "waitress": "#868e96"}
TITLES = {"hello": "hello world (13 B)", "flask": "Flask hello", "large": "1 MiB response",
          "echo": "4 KiB POST echo", "sleep": "10 ms sleep, 50 connections", "stream": "64 KiB streamed (16 x 4 KiB)",
          "django": "Django page (template + ORM, 1.3 KB)"}
LABEL_W, ROW, HEAD, GAP = 150, 18, 24, 30
COL_W = {1: 750, 2: 420, 3: 340, 4: 300}  # bar + note width per column, by column count


def _k(x):
    return f"{x / 1000:.1f}k" if x >= 10000 else f"{x:,.0f}"


def chart(rows, apps, servers, machine, modes=("keepalive",)):
    by = {(r.get("mode", "keepalive"), r["app"], r["server"]): r for r in rows}
    modes = [m for m in modes if any(k[0] == m for k in by)] or ["keepalive"]
    col = COL_W.get(len(modes), 290)
    bar_w = col * 0.5  # the rest of the column is the note ("38.0k, 12.34x gthread-p2")
    width = LABEL_W + len(modes) * col + 10
    out, y = [], 44
    if len(modes) > 1:
        for i, m in enumerate(modes):
            out.append(f'<text x="{LABEL_W + i * col}" y="{y + 12}" class="t">{escape(MODES[m]["title"])}</text>')
        y += 20
    for app in apps:
        present = [s for s in servers if any((m, app, s) in by for m in modes)]
        if not present:
            continue
        top = max((by.get((m, app, s), {}).get("rps") or 0) for m in modes for s in present) or 1
        out.append(f'<text x="10" y="{y + 15}" class="t">{escape(TITLES.get(app, app))}</text>')
        y += HEAD
        for s in present:
            out.append(f'<text x="{LABEL_W - 8}" y="{y + 13}" class="l" text-anchor="end">{escape(s)}</text>')
            for i, m in enumerate(modes):
                x0, r = LABEL_W + i * col, by.get((m, app, s))
                if r is None:
                    continue
                if r.get("rps"):
                    w = max(1.0, bar_w * r["rps"] / top)
                    note = f"{_k(r['rps'])}"
                    # P=2 servers against gunicorn's P=2 configuration when it ran
                    p2 = SERVERS[s].get("procs", 1) > 1 and r.get("vs_gunicorn-gthread-p2")
                    base = "gunicorn-gthread-p2" if p2 else "gunicorn-gthread"
                    if s != base and r.get("vs_" + base):
                        note += f", {r['vs_' + base]:.2f}x {base[9:]}"
                    if r.get("unsaturated"):
                        note += " *"
                    out.append(f'<rect x="{x0}" y="{y + 2}" width="{w:.1f}" height="{ROW - 4}" '
                               f'fill="{COLORS.get(s, "#495057")}"/>')
                    out.append(f'<text x="{x0 + w + 6:.1f}" y="{y + 13}" class="v">{escape(note)}</text>')
                else:
                    why = "n/a" if r.get("skipped") else "failed"
                    out.append(f'<text x="{x0 + 6}" y="{y + 13}" class="v">{why}</text>')
            y += ROW
        y += 10
    p2 = "; -p2 servers: 2 processes (pinning: see the .md)" if any(SERVERS[s].get("procs", 1) > 1 for s in servers) else ""
    sub = (f"req/s, higher is better; * = core not saturated; P=1 servers on 1 core (1 process x 2 threads or "
           f"equivalent), wrk on another{p2}; {machine['cpu']}, Node {machine['node']}, Python {machine['python'].split()[0]}")
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y + 6}" viewBox="0 0 {width} {y + 6}" '
            f'font-family="Helvetica, Arial, sans-serif">\n'
            '<style>.t{font-size:14px;font-weight:bold;fill:#212529}.l,.v{font-size:12px;fill:#343a40}'
            '.s{font-size:11px;fill:#868e96}</style>\n'
            f'<rect width="{width}" height="{y + 6}" fill="#ffffff"/>\n'
            '<text x="10" y="20" class="t">yimmo-wsgi vs gunicorn, uWSGI, waitress</text>\n'
            f'<text x="10" y="36" class="s">{escape(sub)}</text>\n')
    return head + "\n".join(out) + "\n</svg>\n"
