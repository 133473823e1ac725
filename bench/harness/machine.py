"""Dependency check (with the exact apt-get line) and the machine/version facts for the report."""
import importlib.metadata
import importlib.util
import os
import platform
import shutil
import subprocess
import sys

from .peers import ROOT

UWSGI_PLUGIN = "/usr/lib/uwsgi/plugins/python3_plugin.so"
# (what, Debian package, check)
REQUIREMENTS = [
    ("wrk", "wrk", lambda: shutil.which("wrk")),
    ("taskset", "util-linux", lambda: shutil.which("taskset")),
    ("gunicorn", "gunicorn", lambda: importlib.util.find_spec("gunicorn")),
    ("uWSGI", "uwsgi-core", lambda: shutil.which("uwsgi")),
    ("uWSGI Python 3 plugin", "uwsgi-plugin-python3", lambda: os.path.exists(UWSGI_PLUGIN)),
    ("waitress", "python3-waitress", lambda: importlib.util.find_spec("waitress")),
    ("flask", "python3-flask", lambda: importlib.util.find_spec("flask")),
    ("django", "python3-django", lambda: importlib.util.find_spec("django")),
    ("openssl", "openssl", lambda: shutil.which("openssl")),  # the throwaway certificate of the TLS modes
]


def check(install):
    """Returns True when everything is there; else prints the apt-get line (or runs it as root with --install)."""
    missing = [pkg for _, pkg, ok in REQUIREMENTS if not ok()]
    if not shutil.which("node"):
        print("bench: node (>= 20) is not on PATH", file=sys.stderr)
        return False
    if not missing:
        return True
    line = "apt-get install -y " + " ".join(missing)
    if install and os.geteuid() == 0:
        print(f"bench: installing: {line}", flush=True)
        subprocess.run(["apt-get", "update"], check=True)
        subprocess.run(line.split(), check=True, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
        importlib.invalidate_caches()
        return all(ok() for _, _, ok in REQUIREMENTS)
    print("bench: missing " + ", ".join(w for w, pkg, _ in REQUIREMENTS if pkg in missing) +
          f"; install them (Debian 12, as root) with:\n  {line}\n(or run `npm run bench -- --install` as root)",
          file=sys.stderr)
    return False


def _out(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=20, cwd=ROOT)
        return (p.stdout or p.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


def _dist(name):
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "?"


def facts():
    model = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "kernel": platform.release(),
        "node": _out(["node", "-v"]),
        "python": platform.python_version() + " (" + sys.executable + ")",
        "yimmo-wsgi": _out(["node", "-p", "require('./package.json').version"]) + " @ " +
                      _out(["git", "describe", "--always", "--dirty"]),
        "gunicorn": _dist("gunicorn"),
        "uWSGI": _out(["uwsgi", "--version"]),
        "waitress": _dist("waitress"),
        "flask": _dist("flask"),
        "django": _dist("django"),
        "wrk": " ".join(_out(["wrk", "-v"]).split()[:2]),
    }
