"""The apps under test, the server commands and the connection modes (see bench/README.md, "Peers")."""
import os

BENCH = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ROOT = os.path.dirname(BENCH)
APPS_DIR = os.path.join(BENCH, "apps")
PY = "/usr/bin/python3"  # Debian's interpreter: the one python3-flask, gunicorn, waitress live in

# name -> module in apps/, request (post bytes), expected response, connections
APPS = {
    "hello": dict(module="hello", expect_len=13, desc="13-byte body, Content-Length"),
    "flask": dict(module="flask_hello", expect_len=13, desc="Flask hello world (Debian Flask)"),
    "large": dict(module="large", expect_len=1 << 20, desc="1 MiB body in one bytes object"),
    "echo": dict(module="echo", post=4096, expect_body=b"4096", desc="POST 4 KiB, reads wsgi.input, returns its length"),
    "sleep": dict(module="sleep", expect_len=13, desc="time.sleep(0.01) then hello"),
    "stream": dict(module="stream", expect_len=1 << 16, desc="generator of 16 x 4 KiB, no Content-Length (chunked)"),
    "django": dict(module="django_app", expect_len=1301, expect_in=b"<li>user19 &lt;user19@example.org&gt;",
                   desc="a real Django page (Debian Django): 3 middlewares, a template loop, an ORM query on SQLite, 1301 B"),
}

# How wrk talks to the server. "close": every request on a new connection with
# "Connection: close", as nginx talks to an upstream without `keepalive`; "tls-close": a
# full TLS handshake per request (wrk does not resume sessions).
MODES = {
    "keepalive": dict(close=False, tls=False, title="keep-alive"),
    "close": dict(close=True, tls=False, title="new connection per request"),
    "tls": dict(close=False, tls=True, title="TLS, keep-alive"),
    "tls-close": dict(close=True, tls=True, title="TLS, handshake per request"),
    # HTTP/2 without TLS (h2c, prior knowledge), loaded by h2load instead of wrk: 10 connections
    # x 10 concurrent streams each (issue 14); only servers with an "h2" command run it.
    "h2": dict(close=False, tls=False, h2=True, title="HTTP/2 h2c, h2load 10 connections x 10 streams"),
}

# P=1 servers get two concurrent application calls on one core, like yimmo's
# 1 process x 2 threads: 2 threads in one process, or 2 single-threaded processes
# (gunicorn sync); they run pinned to --pin-server. P=2 servers ("procs": 2) run on
# --pin-p2 (default: not pinned). Placeholders: {port} {module} {apps} {py} {root},
# {tls} (the server's "tls" arguments in the TLS modes, else empty; servers without
# "tls" are not run in those modes) and {close} (the server's "close" arguments in the
# close modes, else empty).
SERVERS = {
    "yimmo": dict(cmd="{root}/bin/yimmo-wsgi --python {py} --host 127.0.0.1 --port {port} --no-proc 1 --no-threads 2 "
                      "{tls}{module}:app", tls="--tls-cert {cert} --tls-key {key} ", h2="--http2 "),
    "gunicorn-gthread": dict(cmd="{py} -m gunicorn -w 1 -k gthread --threads 2 -b 127.0.0.1:{port} {tls}{module}:app",
                             tls="--certfile {cert} --keyfile {key} "),
    # sync workers serve one request each and close every connection (no keep-alive)
    "gunicorn-sync": dict(cmd="{py} -m gunicorn -w 2 -k sync -b 127.0.0.1:{port} {module}:app"),
    # --http-socket answers in HTTP/1.0 style and closes after each response; without the
    # Connection: close header wrk would count a read error per request. Reconnecting per
    # request makes wrk the limit for small responses (see "wrk CPU" in the results).
    "uwsgi": dict(cmd="uwsgi --plugin python3 --http-socket 127.0.0.1:{port} --master --processes 1 --threads 2 "
                      "--wsgi-file {apps}/{module}.py --callable app --disable-logging --die-on-term "
                      "--add-header 'Connection: close'", stop="SIGINT",
                  skip={"stream": "a close-delimited body, which wrk counts as a read error"}),
    # uWSGI's own HTTP router (a second process, like yimmo's Node worker in front of the
    # Python host): keep-alive and chunked responses, so it is valid for every app.
    "uwsgi-router": dict(cmd="uwsgi --plugin http,python3 --http 127.0.0.1:{port} --http-keepalive --http-auto-chunked "
                             "--master --processes 1 --threads 2 --wsgi-file {apps}/{module}.py --callable app "
                             "--disable-logging --die-on-term {close}", stop="SIGINT",
                         # closes after a request's "Connection: close" without saying so; wrk would
                         # count an error per request in the close modes
                         close="--add-header 'Connection: close'"),
    # waitress logs "Task queue depth is N" at WARNING for nearly every request once the 50
    # connections outnumber its 2 threads (22 MB of log per run, and its CPU): silenced,
    # as the others run without access logs.
    "waitress": dict(cmd="{py} -c 'import logging, sys; logging.getLogger(\"waitress.queue\").setLevel(logging.ERROR); "
                         "from waitress.runner import run; run([\"waitress-serve\"] + sys.argv[1:])' "
                         "--threads=2 --listen=127.0.0.1:{port} {module}:app"),
    # The uWSGI of issue 13's targets. With keep-alive each uWSGI thread stays on one
    # connection, so 2 of the 50 connections are served and the other 48 starve, and wrk
    # reports neither errors nor timeouts for them (see "busy conns"). uWSGI 2.0.21's
    # http11 socket ignores a request's "Connection: close" and answers keep-alive, so wrk
    # would reuse the connection: in the close modes it adds "Connection: close" to its
    # responses, so wrk closes after each one, as nginx does after an upstream response.
    "uwsgi-http11": dict(cmd="uwsgi --plugin python3 --http11-socket 127.0.0.1:{port} --master --processes 1 --threads 2 "
                             "--wsgi-file {apps}/{module}.py --callable app --disable-logging --die-on-term {close}",
                         close="--add-header 'Connection: close'", stop="SIGINT",
                         skip={"stream": "a close-delimited body, which wrk counts as a read error"}),
    # ---- P=2: two processes, the shared harness's peer configurations
    "yimmo-p2": dict(procs=2, cmd="{root}/bin/yimmo-wsgi --python {py} --host 127.0.0.1 --port {port} --no-proc 2 "
                                  "--no-threads 2 {tls}{module}:app", tls="--tls-cert {cert} --tls-key {key} "),
    # the configuration of the RSS target: as many application threads as gunicorn-gthread-p2
    "yimmo-p2t4": dict(procs=2, cmd="{root}/bin/yimmo-wsgi --python {py} --host 127.0.0.1 --port {port} --no-proc 2 "
                                    "--no-threads 4 {tls}{module}:app", tls="--tls-cert {cert} --tls-key {key} "),
    "gunicorn-gthread-p2": dict(procs=2, cmd="{py} -m gunicorn -w 2 -k gthread --threads 4 -b 127.0.0.1:{port} "
                                             "{tls}{module}:app", tls="--certfile {cert} --keyfile {key} "),
    "uwsgi-http11-p2": dict(procs=2, cmd="uwsgi --plugin python3 --http11-socket 127.0.0.1:{port} --master --processes 2 "
                                         "--wsgi-file {apps}/{module}.py --callable app --disable-logging --die-on-term "
                                         "{close}", close="--add-header 'Connection: close'", stop="SIGINT", skip={"stream": "a close-delimited body, which wrk counts as a read error"}),
    # ---- ceiling: Node's http module alone (hello only), what any Node front end pays
    "node-hello": dict(cmd="node {apps}/node_hello.js {port}",
                       skip={a: "a bare Node server: hello only" for a in APPS if a != "hello"}),
}
DEFAULT_SERVERS = ["yimmo", "gunicorn-gthread", "gunicorn-sync", "uwsgi", "uwsgi-router", "waitress"]
QUICK_SERVERS = ["yimmo", "gunicorn-gthread", "uwsgi"]
DEFAULT_APPS = list(APPS)


def skip_reason(server, app, mode):
    """Why this cell is not run, or None."""
    if MODES[mode]["tls"] and "tls" not in SERVERS[server]:
        return "no TLS in this configuration"
    if MODES[mode].get("h2") and "h2" not in SERVERS[server]:
        return "no h2c in this configuration"
    return SERVERS[server].get("skip", {}).get(app)


def command(server, app, port, mode="keepalive", cert=None, key=None):
    s = SERVERS[server]
    tls = s["tls"].format(cert=cert, key=key) if MODES[mode]["tls"] else ""
    close = s.get("close", "") if MODES[mode]["close"] else ""
    tls += s["h2"] if MODES[mode].get("h2") else ""  # the server's HTTP/2 switch goes where its TLS options do
    return s["cmd"].format(port=port, module=APPS[app]["module"], apps=APPS_DIR, py=PY, root=ROOT, tls=tls,
                           close=close).rstrip()
