#!/usr/bin/env python3
"""Runs the shared black-box conformance suite (../shared/conformance, or
$YIMMO_CONFORMANCE_DIR) against this checkout's server, 2 processes x 2
threads. Extra arguments go to the suite (e.g. --fast, --only smuggling).
Exits with the suite's status: any failed case fails the run, and so does a
missing suite."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUITE = os.environ.get("YIMMO_CONFORMANCE_DIR") or os.path.join(ROOT, "..", "shared", "conformance")
PYTHON = os.environ.get("YIMMO_TEST_PYTHON", "/usr/bin/python3")


def main():
    runner = os.path.join(SUITE, "run.py")
    if not os.path.exists(runner):
        # A missing suite is a failure, not a pass: CI must not go green without it.
        print("conformance: FAILED: suite not found at %s (put the shared repository beside this one as "
              "../shared, or set YIMMO_CONFORMANCE_DIR)" % os.path.abspath(SUITE), file=sys.stderr)
        return 1
    server = ("%s --python %s --host {host} --port {port} --no-proc 2 --no-threads 2 {app}"
              % (os.path.join(ROOT, "bin", "yimmo-wsgi"), PYTHON))
    args = sys.argv[1:]
    if "--h2" in args:
        # Over HTTP/2: test/h2_adapter.py turns each of the suite's HTTP/1.1 requests into an h2c
        # stream to a server started with --http2 (run with --only environ,input,output).
        args.remove("--h2")
        server = ("%s %s {host} {port} -- %s --python %s --host 127.0.0.1 --port INNERPORT --http2 --no-proc 2 "
                  "--no-threads 2 {app}" % (PYTHON, os.path.join(ROOT, "test", "h2_adapter.py"),
                                            os.path.join(ROOT, "bin", "yimmo-wsgi"), PYTHON))
    cmd = [sys.executable, runner, "--server", server, "--env", "YIMMO_SERVER_IDLE_TIMEOUT={timeout}",
           "--threads", "4", "--timeout", "10", "-v"] + args
    return subprocess.call(cmd)


if __name__ == "__main__":
    sys.exit(main())
