"""yimmo_host: the Python side of yimmo-wsgi.

One host process runs the WSGI application for one Node worker; the two talk
over the socket pair the worker passes as fd 3 (docs/protocol.md). This
package is stdlib only and supports CPython >= 3.8.

The worker starts the host as

    PYTHON -c BOOTSTRAP.format(dir=LITERAL) '<json options>'

where LITERAL is the directory that holds ``yimmo_host`` written as a Python
string literal (``JSON.stringify(dir)`` is one). The directory is appended to
``sys.path``, after the user's entries, so an application module can never be
shadowed by ours (docs/protocol.md "Starting up"). src/bridge on the
TypeScript side keeps an identical copy of this string.

Nothing else is imported here: the bootstrap must stay cheap and must not
pull in threading or socket before the application had its chance to
monkey-patch them (gevent).
"""

BOOTSTRAP = "import sys; sys.path.append({dir}); from yimmo_host.main import main; main()"
