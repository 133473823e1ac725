"""Micro-benchmark: the host's cost per request for a trivial application.

A fake worker (this process) starts a real host with the real bootstrap on a
real socket pair, keeps --inflight requests outstanding (like that many
keep-alive connections), and counts responses. It prints the host's CPU
time per request (user + system of the host process, from /proc, during the
measured window only) and the throughput the pair reached. The host's CPU
per request is the number ARCHITECTURE.md budgets (~4-6 us on CPython 3.11):
decode the frame, build environ, call the app, encode and send the response.

    python3 python/bench_host.py [--requests N] [--threads T] [--inflight K]
"""

import argparse
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "tests"))

from harness import Host, P  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime, stime


def switches(pid):
    total = 0
    for tid in os.listdir("/proc/%d/task" % pid):
        with open("/proc/%d/task/%s/status" % (pid, tid)) as fh:
            for line in fh:
                if "ctxt_switches" in line:
                    total += int(line.split()[1])
    return total


def run(requests, threads, inflight, app):
    host = Host(app, threads=threads, log_level="NOTICE")
    kind, info = host.hello()
    if kind != "HELLO":
        raise SystemExit("host failed to load: %s" % info)
    sock = host.sock
    head = P.encode_request_head("GET", "/", "", "HTTP/1.1", "127.0.0.1", 40000, "localhost", 8080,
                                 "http", "", [("HTTP_HOST", "localhost:8080"),
                                              ("HTTP_USER_AGENT", "bench/1.0"),
                                              ("HTTP_ACCEPT", "*/*")])
    frames = {sid: P.encode_frame(P.REQUEST, sid, head) for sid in range(1, inflight + 1)}
    last_types = (P.HEAD_END, P.END, P.ABORT)
    unpack_from = P.HEADER.unpack_from

    def drive(total):
        sent = min(inflight, total)
        sock.sendall(b"".join(frames[sid] for sid in range(1, sent + 1)))
        done = 0
        buf = b""
        while done < total:
            data = sock.recv(1 << 20)
            if not data:
                raise SystemExit("host closed the socket: %s" % host.stderr()[-2000:])
            buf += data
            pos = 0
            out = []
            while len(buf) - pos >= 9:
                length, ftype, sid = unpack_from(buf, pos)
                if len(buf) - pos - 9 < length:
                    break
                pos += 9 + length
                if ftype in last_types:
                    if ftype == P.ABORT:
                        raise SystemExit("ABORT from the host: %s" % host.stderr()[-2000:])
                    done += 1
                    if sent < total:
                        sent += 1
                        out.append(frames[sid])
            buf = buf[pos:]
            if out:
                sock.sendall(b"".join(out))

    drive(min(20000, requests))  # warm up
    sw0, cpu0, t0 = switches(host.pid), cpu_seconds(host.pid), time.perf_counter()
    drive(requests)
    cpu1, t1, sw1 = cpu_seconds(host.pid), time.perf_counter(), switches(host.pid)
    host.close()
    return (cpu1 - cpu0) / requests * 1e6, requests / (t1 - t0), (sw1 - sw0) / requests


def in_process(requests, app_spec):
    """The Python work alone: frame payload -> environ -> app -> HEAD_END
    bytes, in this process with a socket that discards (no syscalls, no
    threads)."""
    import queue
    import threading
    sys.path.insert(0, os.path.join(HERE, "tests", "apps"))
    from yimmo_host.app import load
    from yimmo_host.channel import Channel, Stream
    from yimmo_host.handler import Handler

    class Discard(object):
        def sendall(self, data):
            pass

    ch = Channel(Discard(), 1 << 20, 65536)
    ch.queue = queue.SimpleQueue()
    handler = Handler(ch, load(app_spec), 1, False)
    payload = P.encode_request_head("GET", "/", "", "HTTP/1.1", "127.0.0.1", 40000, "localhost", 8080,
                                    "http", "", [("HTTP_HOST", "localhost:8080"),
                                                 ("HTTP_USER_AGENT", "bench/1.0"), ("HTTP_ACCEPT", "*/*")])
    new_lock = threading.Lock
    streams = ch.streams
    handle = handler.handle
    best = None
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(requests):
            stream = Stream(1, payload, 1 << 20, new_lock())
            streams[1] = stream
            handle(stream)
        us = (time.perf_counter() - t0) / requests * 1e6
        best = us if best is None else min(best, us)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--requests", type=int, default=200000)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--inflight", type=int, default=50)
    ap.add_argument("--app", default="minimal:app")
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    inproc = in_process(min(args.requests, 100000), args.app)
    results = [run(args.requests, args.threads, args.inflight, args.app) for _ in range(args.rounds)]
    best = min(results)
    print("python %s, app %s, threads %d, %d in flight, %d requests x %d rounds"
          % (sys.version.split()[0], args.app, args.threads, args.inflight, args.requests, args.rounds))
    print("  in-process (no socket, no threads): %.2f us/request" % inproc)
    for us, rps, sw in results:
        print("  host cpu %.2f us/request, %.0f requests/s, %.2f context switches/request" % (us, rps, sw))
    print("%.2f" % best[0])


if __name__ == "__main__":
    main()
