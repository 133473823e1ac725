"""wsgi.file_wrapper (PEP 3333 "Optional Platform-Specific File Handling").

An application returns ``environ['wsgi.file_wrapper'](filelike, blksize)``.
When that object is ours and wraps a regular file with a descriptor, the
host sends it to the client with sendfile(2) on a plain-TCP connection (a
direct write, docs/protocol.md), or else sends a FILE frame and the worker
streams the file itself (wsgi.py); any other file-like is simply iterated
in ``blksize`` blocks.
"""

import io
import os
import stat


class FileWrapper(object):
    def __init__(self, filelike, blksize=8192):
        self.filelike = filelike
        self.blksize = blksize

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.blksize)
        if data:
            return data
        raise StopIteration

    def close(self):
        # PEP 3333: "the close() method ... must call the file-like object's
        # close() method, if it has one".
        close = getattr(self.filelike, "close", None)
        if close is not None:
            close()

    def regular_file(self):
        """(fd, offset, count) when the worker can send the file itself:
        a regular file whose descriptor we can name in /proc; else None.
        The offset is the file object's position (an application may have
        seeked), the count what is left up to the end of the file."""
        if isinstance(self.filelike, io.TextIOBase):
            return None  # tell() is an opaque cookie there, not a byte offset
        try:
            fd = self.filelike.fileno()
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                return None
            offset = self.filelike.tell()
        except (AttributeError, OSError, ValueError, TypeError):
            return None
        if not isinstance(fd, int) or not isinstance(offset, int) or offset < 0:
            return None
        return fd, offset, max(0, st.st_size - offset)
