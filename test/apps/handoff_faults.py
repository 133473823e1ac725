"""A host whose socket handoff channel misbehaves, as it would if a Node
release changed the internals direct writes rely on (NODE_HANDLE messages,
their ACK). YIMMO_TEST_HANDOFF_FAULT picks the fault:

deaf               messages are read and ignored: no ACK, no probe answer
close-after-probe  the start-up probe is answered, then the channel closes
drop-sockets       the probe is answered; real sockets are dropped, unacknowledged
no-ack             the probe is answered; real sockets are kept but not
                   acknowledged, so Node never sends the next one

/big?N   a whole body of N bytes (offered as a direct write)
/pid     the host's pid
"""
import json
import os
import socket

import yimmo_host.handoff as handoff

FAULT = os.environ.get("YIMMO_TEST_HANDOFF_FAULT", "")
_real_message = handoff.Handoff._message
_probes = []


def _is_probe(line):
    return b'"probe"' in line


def _faulty_message(self, line, fds):
    if FAULT == "deaf":
        for fd in fds:
            os.close(fd)
        del fds[:]
        return
    if _is_probe(line):
        _real_message(self, line, fds)
        _probes.append(1)
        if FAULT == "close-after-probe" and len(_probes) == 2:
            self.sock.shutdown(socket.SHUT_RDWR)
        return
    if FAULT == "drop-sockets":
        for fd in fds:
            os.close(fd)
        del fds[:]
        return
    if FAULT == "no-ack":
        cid = json.loads(line)["msg"]["c"]
        self._arrived(cid, fds.pop(0))
        return
    _real_message(self, line, fds)


handoff.Handoff._message = _faulty_message


def app(environ, start_response):
    if environ["PATH_INFO"] == "/big":
        n = int(environ["QUERY_STRING"] or str(1 << 20))
        body = bytes(range(256)) * (n // 256)
        start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", str(len(body)))])
        return [body]
    body = str(os.getpid()).encode("ascii")
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [body]
