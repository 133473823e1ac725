"""Which (mode, app, servers) groups a run measures, and in what order (pure)."""
from .peers import skip_reason

# --issue13: just the cells the targets of issue 13 need, and their context (P=2 peers, gthread on
# Django, the bare Node ceiling on hello)
ISSUE13 = [
    ("keepalive", "hello", ["yimmo", "gunicorn-gthread", "uwsgi-http11", "node-hello"]),
    ("keepalive", "django", ["yimmo", "gunicorn-gthread", "uwsgi-http11", "yimmo-p2t4", "gunicorn-gthread-p2"]),
    ("close", "hello", ["yimmo", "yimmo-p2", "gunicorn-gthread", "gunicorn-gthread-p2", "uwsgi-http11", "uwsgi-http11-p2",
                        "node-hello"]),
    ("close", "django", ["yimmo", "gunicorn-gthread", "uwsgi-http11"]),
    ("tls", "hello", ["yimmo", "gunicorn-gthread"]),
    ("tls-close", "hello", ["yimmo", "gunicorn-gthread"]),
]


def groups(modes, apps, servers):
    """The cross product, as (mode, app, servers) groups."""
    return [(m, a, list(servers)) for m in modes for a in apps]


def schedule(grps, rounds):
    """-> [(round, mode, app, server, skipped reason or None)]. In each round every group's
    server order is rotated by one, so no server always runs first or after the same one;
    a skipped cell appears once (round 0)."""
    out = []
    for rnd in range(rounds):
        for mode, app, servers in grps:
            k = rnd % len(servers) if servers else 0
            for server in servers[k:] + servers[:k]:
                why = skip_reason(server, app, mode)
                if why and rnd > 0:
                    continue
                out.append((rnd, mode, app, server, why))
    return out


def union(grps):
    """Modes, apps and servers of the groups, in first-seen order."""
    seen = ([], [], [])
    for mode, app, servers in grps:
        for lst, xs in zip(seen, ([mode], [app], servers)):
            lst.extend(x for x in xs if x not in lst)
    return seen
