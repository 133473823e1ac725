"""Frame codec of the worker <-> host bridge (docs/protocol.md, the contract).

A frame is a 9-byte header ``>IBI`` (payload length, type, stream id) and
the payload. This module is pure: bytes in, values out, no I/O, so the
golden frames in test/golden/frames.json can check it byte for byte and the
hot paths in channel.py / wsgi.py can use its precompiled structs.
"""

import json
import struct

PROTOCOL_VERSION = 1

# docs/protocol.md "Frame layout": a larger length means the socket is broken.
MAX_PAYLOAD = 16 * 1024 * 1024
# The largest response head (status and header fields) the host frames. A
# HEAD frame carries the head and up to a response window of body, so the
# head must leave room for the window (capped at MAX_WINDOW) in one frame.
MAX_HEAD = 8 * 1024 * 1024
MAX_WINDOW = 4 * 1024 * 1024

HEADER = struct.Struct(">IBI")
HEADER_SIZE = HEADER.size  # 9
# A HEAD / HEAD_END frame header followed by the u32 head length: one pack
# call builds everything that precedes the head text.
HEAD_HEADER = struct.Struct(">IBII")
U32 = struct.Struct(">I")
U64 = struct.Struct(">Q")
U64_PAIR = struct.Struct(">QQ")

# Connection (stream 0), host -> worker.
HELLO = 0x01
LOAD_ERROR = 0x02
# Worker -> host.
REQUEST = 0x10
BODY = 0x11
BODY_END = 0x12
BODY_ERROR = 0x13
CREDIT = 0x14
CANCEL = 0x15
FILE_DONE = 0x16
DUMP_STACK = 0x17
DIRECT_GO = 0x18
FORGET = 0x19
DIRECT_REFUSED = 0x1A
STATUS = 0x1F  # stream 0: the worker asks what the threads do (status.py)
# Host -> worker.
HEAD = 0x20
HEAD_END = 0x21
DATA = 0x22
END = 0x23
FILE = 0x24
ABORT = 0x25
CONTINUE = 0x26
WINDOW = 0x27
DIRECT = 0x28
DIRECT_UNDONE = 0x29
STATUS_REPLY = 0x2F

NAMES = {
    HELLO: "HELLO", LOAD_ERROR: "LOAD_ERROR",
    REQUEST: "REQUEST", BODY: "BODY", BODY_END: "BODY_END",
    BODY_ERROR: "BODY_ERROR", CREDIT: "CREDIT", CANCEL: "CANCEL",
    FILE_DONE: "FILE_DONE", DUMP_STACK: "DUMP_STACK", DIRECT_GO: "DIRECT_GO",
    FORGET: "FORGET", DIRECT_REFUSED: "DIRECT_REFUSED", STATUS: "STATUS", STATUS_REPLY: "STATUS_REPLY",
    HEAD: "HEAD", HEAD_END: "HEAD_END", DATA: "DATA", END: "END",
    FILE: "FILE", ABORT: "ABORT", CONTINUE: "CONTINUE", WINDOW: "WINDOW",
    DIRECT: "DIRECT", DIRECT_UNDONE: "DIRECT_UNDONE",
}
WORKER_TO_HOST = frozenset((REQUEST, BODY, BODY_END, BODY_ERROR, CREDIT,
                            CANCEL, FILE_DONE, DUMP_STACK, DIRECT_GO, FORGET,
                            DIRECT_REFUSED, STATUS))
HOST_TO_WORKER = frozenset((HELLO, LOAD_ERROR, HEAD, HEAD_END, DATA, END,
                            FILE, ABORT, CONTINUE, WINDOW, DIRECT, DIRECT_UNDONE, STATUS_REPLY))

# FILE count meaning "to the end of the file".
TO_EOF = (1 << 64) - 1

# REQUEST payload: the fixed fields, then NAME/VALUE pairs.
REQUEST_FIXED_FIELDS = 10


class ProtocolError(Exception):
    """The peer broke docs/protocol.md; the socket cannot be trusted."""


# ---------------------------------------------------------------- frames

def encode_frame(ftype, stream, payload=b""):
    """One frame as bytes (header and payload together, ready for sendall)."""
    if len(payload) > MAX_PAYLOAD:
        raise ProtocolError("payload of %d bytes exceeds 16 MiB" % len(payload))
    return HEADER.pack(len(payload), ftype, stream) + payload


def decode_frames(data, known=None):
    """Split ``data`` into complete frames.

    Returns ``(frames, rest)``: a list of ``(type, stream, payload)`` and the
    bytes of a trailing incomplete frame. ``known`` is the set of frame types
    the receiving side accepts (default: every type the protocol defines).
    """
    if known is None:
        known = NAMES
    frames = []
    pos = 0
    end = len(data)
    while end - pos >= HEADER_SIZE:
        length, ftype, stream = HEADER.unpack_from(data, pos)
        if length > MAX_PAYLOAD:
            raise ProtocolError("frame length %d exceeds 16 MiB" % length)
        if ftype not in known:
            raise ProtocolError("unknown frame type 0x%02x" % ftype)
        fend = pos + HEADER_SIZE + length
        if fend > end:
            break
        frames.append((ftype, stream, bytes(data[pos + HEADER_SIZE:fend])))
        pos = fend
    return frames, bytes(data[pos:])


def u32(payload):
    """The u32 payload of CREDIT / WINDOW."""
    if len(payload) != 4:
        raise ProtocolError("expected a 4-byte payload, got %d" % len(payload))
    return U32.unpack(payload)[0]


# ---------------------------------------------------------------- request head

def decode_request_head(payload):
    """REQUEST payload -> list of latin-1 str fields.

    METHOD PATH QUERY PROTOCOL REMOTE_ADDR REMOTE_PORT SERVER_NAME SERVER_PORT
    SCHEME FLAGS, then NAME VALUE pairs (docs/protocol.md "REQUEST payload").
    Latin-1 is PEP 3333's "bytes-in-unicode": every byte maps to one code
    point, so the application sees exactly what the client sent.
    """
    fields = payload.decode("latin-1").split("\0")
    if len(fields) < REQUEST_FIXED_FIELDS or (len(fields) - REQUEST_FIXED_FIELDS) % 2:
        raise ProtocolError("malformed request head (%d fields)" % len(fields))
    return fields


def encode_request_head(method, path, query, protocol, remote_addr, remote_port,
                        server_name, server_port, scheme, flags, pairs=()):
    """The worker's side of decode_request_head (used by tests and benchmarks)."""
    fields = [method, path, query, protocol, remote_addr, str(remote_port),
              server_name, str(server_port), scheme, flags]
    for name, value in pairs:
        fields.append(name)
        fields.append(value)
    return "\0".join(fields).encode("latin-1")


# ---------------------------------------------------------------- response head

def encode_response_head(status, headers):
    """``STATUS \\0 NAME \\0 VALUE ...`` as latin-1 bytes (no validation here:
    wsgi.start_response validates before it calls this or its inline twin)."""
    parts = [status]
    for name, value in headers:
        parts.append(name)
        parts.append(value)
    return "\0".join(parts).encode("latin-1")


def decode_response_head(head):
    """latin-1 head bytes -> (status, [(name, value), ...])."""
    fields = head.decode("latin-1").split("\0")
    if len(fields) % 2 != 1:
        raise ProtocolError("malformed response head")
    return fields[0], list(zip(fields[1::2], fields[2::2]))


def encode_head_payload(head, body=b""):
    """HEAD / HEAD_END payload: u32 head length, the head, the body bytes."""
    return U32.pack(len(head)) + head + body


def decode_head_payload(payload):
    """HEAD / HEAD_END payload -> (head bytes, body bytes)."""
    if len(payload) < 4:
        raise ProtocolError("HEAD payload shorter than its length field")
    hlen = U32.unpack_from(payload)[0]
    if 4 + hlen > len(payload):
        raise ProtocolError("head length %d exceeds the payload" % hlen)
    return payload[4:4 + hlen], payload[4 + hlen:]


def encode_head_frame(ftype, stream, head, body=b""):
    """A whole HEAD or HEAD_END frame in one bytes object (one sendall)."""
    return HEAD_HEADER.pack(4 + len(head) + len(body), ftype, stream, len(head)) + head + body


# ---------------------------------------------------------------- direct writes

def encode_direct_frame(stream, head, size):
    """DIRECT: the validated head and the length of the body the host
    offers to write to the client itself."""
    return HEAD_HEADER.pack(4 + len(head) + 8, DIRECT, stream, len(head)) + head + U64.pack(size)


def decode_direct_go(payload):
    """DIRECT_GO payload -> (connection ID, HTTP head bytes as a memoryview)."""
    if len(payload) < 4:
        raise ProtocolError("DIRECT_GO payload of %d bytes" % len(payload))
    return U32.unpack_from(payload)[0], memoryview(payload)[4:]


# ---------------------------------------------------------------- STATUS

U32_PAIR = struct.Struct(">II")


def decode_status_query(payload):
    """STATUS payload -> (query id, stream whose stack is wanted or 0)."""
    if len(payload) != 8:
        raise ProtocolError("STATUS payload of %d bytes" % len(payload))
    return U32_PAIR.unpack(payload)


def encode_status_query(query, stack_of):
    return U32_PAIR.pack(query, stack_of)


def encode_status_reply(query, report):
    """STATUS_REPLY payload: u32 query id, then the report as UTF-8 JSON."""
    return U32.pack(query) + json.dumps(report, separators=(",", ":")).encode("utf-8")


def decode_status_reply(payload):
    if len(payload) < 4:
        raise ProtocolError("STATUS_REPLY payload of %d bytes" % len(payload))
    return U32.unpack_from(payload)[0], json.loads(payload[4:].decode("utf-8"))


# ---------------------------------------------------------------- FILE

def encode_file_payload(offset, count, path):
    return U64_PAIR.pack(offset, count) + path.encode("utf-8")


def decode_file_payload(payload):
    if len(payload) < 16:
        raise ProtocolError("FILE payload shorter than 16 bytes")
    offset, count = U64_PAIR.unpack_from(payload)
    return offset, count, payload[16:].decode("utf-8")
