"""wsgi.errors: text the application writes goes to the server log.

PEP 3333 "Input and Error Streams": write(str), writelines(seq), flush().
Each complete line becomes one log entry at ERROR (so it shows at every
level but FATAL). A partial line waits for its newline or for flush(); the
pending text is kept per thread, so concurrent requests do not mix halves.
"""

import threading

from . import log


class ErrorStream(object):
    def __init__(self):
        self._local = threading.local()

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("wsgi.errors.write() takes str, not %s" % type(text).__name__)
        pending = getattr(self._local, "pending", "") + text
        if "\n" in pending:
            lines = pending.split("\n")
            pending = lines.pop()
            for line in lines:
                log.error(line)
        self._local.pending = pending

    def writelines(self, seq):
        for text in seq:
            self.write(text)

    def flush(self):
        pending = getattr(self._local, "pending", "")
        if pending:
            self._local.pending = ""
            log.error(pending)
