"""Load the WSGI application named ``MODULE:EXPRESSION``.

Everything after the first ``:`` is a Python expression evaluated with the
module's namespace as globals, so ``hello:app``, ``pkg.mod:obj.attr``,
``'factory:create_app("prod.cfg")'`` and a lambda all work (gunicorn accepts
the same forms). Without a ``:`` the expression is ``application``, the name
PEP 3333's examples and mod_wsgi use.

Failures become one line for LOAD_ERROR (docs/protocol.md "Starting up");
the full traceback goes to the log at DEBUG.
"""

import importlib
import os
import sys
import traceback

from . import log


class LoadError(Exception):
    """The application cannot be loaded; str() is the one-line reason."""


def _one_line(exc):
    text = str(exc)
    name = type(exc).__name__
    if not text:
        return name
    return "%s: %s" % (name, " ".join(text.split()))


def _traceback():
    return traceback.format_exc().rstrip()


def _put_cwd_first():
    # gunicorn does the same: the directory the server was started in is
    # where `hello:app` is looked for, ahead of site-packages. (`-c` already
    # adds '' unless -P / PYTHONSAFEPATH is in force.)
    cwd = os.getcwd()
    if not sys.path or sys.path[0] not in ("", cwd):
        sys.path.insert(0, cwd)


def load(spec):
    """Return the application callable for ``spec`` or raise LoadError."""
    module_name, sep, expression = spec.partition(":")
    if not sep:
        expression = "application"
    module_name = module_name.strip()
    expression = expression.strip()
    _put_cwd_first()
    try:
        module = importlib.import_module(module_name)
    except BaseException as exc:  # SystemExit and the like from a module body, too
        # At ERROR: the one-line LOAD_ERROR says what failed, the traceback says where.
        log.error("importing %r failed:\n%s" % (module_name, _traceback()))
        raise LoadError("cannot import module %r: %s" % (module_name, _one_line(exc)))
    try:
        app = eval(expression, vars(module))
    except BaseException as exc:
        log.error("evaluating %r in %r failed:\n%s" % (expression, module_name, _traceback()))
        raise LoadError("cannot evaluate %r in module %r: %s" % (expression, module_name, _one_line(exc)))
    if not callable(app):
        raise LoadError("%r is not callable (got %s)" % ("%s:%s" % (module_name, expression), type(app).__name__))
    return app
