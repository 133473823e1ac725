"""A hand-written SVG bar chart: one panel per app, one bar per server (req/s, median)."""
from html import escape

COLORS = {"yimmo": "#d9480f", "gunicorn-gthread": "#1c7ed6", "gunicorn-sync": "#74c0fc",
          "uwsgi": "#2b8a3e", "uwsgi-http11": "#8ce99a", "waitress": "#868e96"}
TITLES = {"hello": "hello world (13 B)", "flask": "Flask hello", "large": "1 MiB response",
          "echo": "4 KiB POST echo", "sleep": "10 ms sleep, 50 connections", "stream": "64 KiB streamed (16 x 4 KiB)"}
W, LABEL_W, BAR_W, ROW, HEAD = 900, 150, 430, 18, 24


def _k(x):
    return f"{x / 1000:.1f}k" if x >= 10000 else f"{x:,.0f}"


def chart(rows, apps, servers, machine):
    by = {(r["app"], r["server"]): r for r in rows}
    out, y = [], 44
    for app in apps:
        present = [s for s in servers if (app, s) in by]
        if not present:
            continue
        top = max((by[(app, s)].get("rps") or 0) for s in present) or 1
        out.append(f'<text x="10" y="{y + 15}" class="t">{escape(TITLES.get(app, app))}</text>')
        y += HEAD
        for s in present:
            r = by[(app, s)]
            out.append(f'<text x="{LABEL_W - 8}" y="{y + 13}" class="l" text-anchor="end">{escape(s)}</text>')
            if r.get("rps"):
                w = max(1.0, BAR_W * r["rps"] / top)
                note = f"{_k(r['rps'])} req/s"
                if s != "gunicorn-gthread" and r.get("vs_gunicorn-gthread"):
                    note += f"  {r['vs_gunicorn-gthread']:.2f}x gthread"
                if r.get("unsaturated"):
                    note += "  (core not saturated)"
                out.append(f'<rect x="{LABEL_W}" y="{y + 2}" width="{w:.1f}" height="{ROW - 4}" '
                           f'fill="{COLORS.get(s, "#495057")}"/>')
                out.append(f'<text x="{LABEL_W + w + 6:.1f}" y="{y + 13}" class="v">{escape(note)}</text>')
            else:
                why = "n/a" if r.get("skipped") else "failed"
                out.append(f'<text x="{LABEL_W + 6}" y="{y + 13}" class="v">{why}</text>')
            y += ROW
        y += 10
    sub = (f"req/s, higher is better; server on 1 core (1 process x 2 threads or equivalent), wrk on another; "
           f"{machine['cpu']}, Node {machine['node']}, Python {machine['python'].split()[0]}")
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{y + 6}" viewBox="0 0 {W} {y + 6}" '
            f'font-family="Helvetica, Arial, sans-serif">\n'
            '<style>.t{font-size:14px;font-weight:bold;fill:#212529}.l,.v{font-size:12px;fill:#343a40}'
            '.s{font-size:11px;fill:#868e96}</style>\n'
            f'<rect width="{W}" height="{y + 6}" fill="#ffffff"/>\n'
            '<text x="10" y="20" class="t">yimmo-wsgi vs gunicorn, uWSGI, waitress</text>\n'
            f'<text x="10" y="36" class="s">{escape(sub)}</text>\n')
    return head + "\n".join(out) + "\n</svg>\n"
