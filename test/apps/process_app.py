"""Reports the process the application runs in, as JSON.

For test/server/process-hygiene.test.ts: ids, working directory, the front
of sys.path, the umask (read by setting and restoring it), the environment
variables the test asks about (?env=A,B) and the process titles of this host
and its parent worker.
"""
import json
import os
import sys


def _cmdline(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")[0].decode("utf-8", "replace")
    except OSError:
        return None


def app(environ, start_response):
    mask = os.umask(0)
    os.umask(mask)
    query = environ.get("QUERY_STRING", "")
    names = query[4:].split(",") if query.startswith("env=") else []
    out = {
        "uid": os.getuid(),
        "euid": os.geteuid(),
        "gid": os.getgid(),
        "groups": os.getgroups(),
        "cwd": os.getcwd(),
        "sys_path": sys.path[:4],
        "umask": mask,
        "env": {n: os.environ.get(n) for n in names},
        "pid": os.getpid(),
        "ppid": os.getppid(),
        "title": _cmdline(os.getpid()),
        "parent_title": _cmdline(os.getppid()),
    }
    data = json.dumps(out).encode("utf-8")
    start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]
