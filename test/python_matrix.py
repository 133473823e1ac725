#!/usr/bin/env python3
"""Runs the Python host's unit tests, and a smoke test that serves a
stdlib-only app (test/apps/version_app.py) through bin/yimmo-wsgi, on every
CPython from 3.8 to 3.13.

Interpreters are taken from $YIMMO_PYTHONS (space-separated paths) or else
from pyenv ($PYENV_ROOT or ~/.pyenv: versions/3.N.*/bin/python, the newest
patch release of each). A missing version FAILS the run: CI must not report
3.8-3.13 as tested when one of them was not there.

The smoke test checks that the app really ran on that interpreter (its
sys.version_info and sys.executable, from the response), with 2 threads,
and that the server stops with status 0 on SIGTERM."""
import glob
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MINORS = range(8, 14)
BANNER = re.compile(r"on http://[^\s]+:(\d+)")


def pyenv_interpreters():
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    found, missing = [], []
    for minor in MINORS:
        candidates = []
        for d in glob.glob(os.path.join(root, "versions", "3.%d.*" % minor)):
            m = re.match(r"^3\.%d\.(\d+)$" % minor, os.path.basename(d))
            exe = os.path.join(d, "bin", "python")
            if m and os.access(exe, os.X_OK):
                candidates.append((int(m.group(1)), exe))
        if candidates:
            found.append(max(candidates)[1])
        else:
            missing.append("CPython 3.%d is not installed under %s/versions (pyenv install 3.%d)" % (minor, root, minor))
    return found, missing


def version_of(python):
    out = subprocess.run([python, "-c", "import sys; print('%d.%d.%d' % sys.version_info[:3])"],
                         stdout=subprocess.PIPE, universal_newlines=True, timeout=30, check=True).stdout
    return out.strip()


def unit_tests(python):
    run = subprocess.run([python, "-m", "unittest", "discover", "-s", "python/tests", "-t", "python"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=600)
    if run.returncode != 0:
        return "unit tests failed:\n" + run.stdout[-4000:]
    summary = [line for line in run.stdout.splitlines() if line.startswith("Ran ") or line.startswith("OK")]
    return " ".join(summary)


def smoke(python, version):
    apps = os.path.join(ROOT, "test", "apps")
    env = dict(os.environ, PYTHONPATH=apps)
    cmd = [os.path.join(ROOT, "bin", "yimmo-wsgi"), "--host", "127.0.0.1", "--port", "0", "--python", python,
           "--no-proc", "1", "--no-threads", "2", "version_app:app"]
    server = subprocess.Popen(cmd, cwd=apps, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              universal_newlines=True, start_new_session=True)
    output = []
    try:
        port = None
        deadline = time.monotonic() + 60
        while port is None:
            line = server.stdout.readline()
            if line == "" or time.monotonic() > deadline:
                raise AssertionError("the server did not start:\n" + "".join(output) + line)
            output.append(line)
            m = BANNER.search(line)
            if m:
                port = int(m.group(1))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        conn.request("GET", "/")
        response = conn.getresponse()
        body = json.loads(response.read().decode("utf-8"))
        conn.close()
        if response.status != 200:
            raise AssertionError("GET / answered %d" % response.status)
        if ".".join(str(x) for x in body["version"]) != version or body["executable"] != python:
            raise AssertionError("the app ran on %s %s, not %s %s" % (body["executable"], body["version"], python, version))
        if body["multithread"] is not True:
            raise AssertionError("wsgi.multithread is %r with 2 threads" % body["multithread"])
        server.send_signal(signal.SIGTERM)
        code = server.wait(timeout=40)
        if code != 0:
            raise AssertionError("the server exited with %s after SIGTERM:\n%s" % (code, "".join(output) + server.stdout.read()))
        return "served GET / on Python %s, stopped with 0" % version
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        server.stdout.close()


def main():
    if os.environ.get("YIMMO_PYTHONS"):
        pythons, failures = os.environ["YIMMO_PYTHONS"].split(), []
    else:
        pythons, failures = pyenv_interpreters()
    for python in pythons:
        try:
            version = version_of(python)
            print("== CPython %s (%s)" % (version, python), flush=True)
            result = unit_tests(python)
            print("   host unit tests: " + result, flush=True)
            if "failed" in result.split(":")[0]:
                failures.append("%s: %s" % (python, result))
            print("   smoke: " + smoke(python, version), flush=True)
        except Exception as err:  # one interpreter's failure must not hide the others'
            print("   FAILED: %s" % err, flush=True)
            failures.append("%s: %s" % (python, err))
    for failure in failures:
        print("python-matrix: FAILED: " + failure.splitlines()[0], file=sys.stderr)
    if not failures:
        print("python-matrix: all %d interpreters passed" % len(pythons))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
