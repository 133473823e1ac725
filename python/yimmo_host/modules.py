"""The application's own Python files, for --reload to watch.

Every module loaded so far whose file is not part of Python itself (the
standard library), of an installed distribution (site-packages, wherever
the interpreter or a venv keeps them), or of yimmo_host: what is left is the
code of the application's directories, the files a developer edits.
"""

import os
import site
import sys
import sysconfig


def _excluded_dirs():
    dirs = set()
    for prefix in {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix}:
        for name in ("stdlib", "platstdlib", "purelib", "platlib"):
            try:
                path = sysconfig.get_path(name, vars={"base": prefix, "platbase": prefix,
                                                      "installed_base": prefix, "installed_platbase": prefix})
            except (KeyError, ValueError):
                path = None
            if path:
                dirs.add(path)
    try:
        dirs.update(site.getsitepackages())
    except AttributeError:  # some virtualenvs' site module lacks it
        pass
    user = getattr(site, "USER_SITE", None)
    if user:
        dirs.add(user)
    dirs.add(os.path.dirname(os.path.abspath(__file__)))
    return [os.path.join(os.path.realpath(d), "") for d in dirs]


def app_files(modules=None):
    """Sorted absolute paths of the .py files of the application's modules."""
    excluded = _excluded_dirs()
    files = set()
    for module in list((modules if modules is not None else sys.modules).values()):
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            continue
        path = os.path.realpath(os.path.abspath(path))
        if any(path.startswith(d) for d in excluded) or "site-packages" in path or "dist-packages" in path:
            continue
        files.add(path)
    return sorted(files)
