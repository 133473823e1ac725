#!/usr/bin/env python3
"""Writes the request-parser corpus: NNN-name.http (the exact bytes) and
NNN-name.json (what src/http/parser.ts must produce). Regenerate with
`python3 test/http/corpus/make-corpus.py` after editing the list below;
numbers follow the order of the list.

Expected results (read by test/http/corpus.ts):
  {"messages": [{"head": {...}, "body": "...", "trailers": [...]}]}
      every complete message, in order ("head" lists the fields to compare;
      "body" and "trailers" are latin-1 strings); then the parser wants more bytes.
  {"messages": [...], "status": 400, "code": "YW_HTTP_..."}
      the messages before the error (often none), then that error.
  A message with "end": false is still unfinished when the input runs out.
Cases cite the RFC rule or the CVE / issue (PEERS.md section 4) they replay.
"""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = []

SMUGGLE = b"GET /SMUGGLE HTTP/1.1\r\nHost: localhost\r\n\r\n"


def req(method=b"GET", target=b"/", version=b"HTTP/1.1", headers=((b"Host", b"x"),), body=b""):
    """Raw request bytes and the head the parser should report for them."""
    raw = method + b" " + target + b" " + version + b"\r\n"
    raw += b"".join(n + b":" + (b" " if v else b"") + v + b"\r\n" for n, v in headers) + b"\r\n" + body
    t = target.decode("latin-1")
    q = t.find("?")
    head = {
        "method": method.decode("latin-1"),
        "target": t,
        "path": t if q < 0 else t[:q],
        "query": "" if q < 0 else t[q + 1:],
        "minorVersion": 1 if version == b"HTTP/1.1" else 0,
        "headers": [s for n, v in headers for s in (n.decode("latin-1").lower(), v.decode("latin-1").strip(" \t"))],
    }
    return raw, head


def ok(name, raw, *messages):
    CASES.append((name, raw, {"messages": list(messages)}))


def bad(name, raw, status, code, *messages):
    CASES.append((name, raw, {"messages": list(messages), "status": status, "code": code}))


def msg(head, body=b"", trailers=(), end=True, **extra):
    head = dict(head, **extra)
    m = {"head": head, "body": body.decode("latin-1"), "trailers": list(trailers)}
    if not end:
        m["end"] = False
        del m["trailers"]
    return m


def post(headers, body, version=b"HTTP/1.1", target=b"/echo"):
    return req(b"POST", target, version, ((b"Host", b"x"),) + tuple(headers), body)[0]


def chunked_post(body, extra=()):
    return post(((b"Transfer-Encoding", b"chunked"),) + tuple(extra), body)


def get(headers=((b"Host", b"x"),), target=b"/ping", version=b"HTTP/1.1"):
    return req(b"GET", target, version, headers)[0]


# ------------------------------------------------------------------ valid requests
raw, h = req()
ok("get-minimal", raw, msg(h, host="x", keepAlive=True, bodyKind="none", contentLength=0, expectContinue=False))
raw, h = req(target=b"/a/b?x=1&y=%20?z")
ok("leading-empty-lines-ignored", b"\r\n\r\n" + raw, msg(h, path="/a/b", query="x=1&y=%20?z"))  # RFC 9112 2.2
raw, h = req(target=b"/a?", headers=((b"Host", b"x"),))
ok("empty-query-after-question-mark", raw, msg(h, path="/a", query=""))
raw, h = req(version=b"HTTP/1.0", headers=())
ok("http10-without-host", raw, msg(h, host="", keepAlive=False))  # RFC 9112 9.3
raw, h = req(version=b"HTTP/1.0", headers=((b"Connection", b"Keep-Alive"),))
ok("http10-keep-alive-token", raw, msg(h, keepAlive=True))
raw, h = req(headers=((b"Host", b"x"), (b"Connection", b"keep-alive, Close")))
ok("http11-close-token-in-list", raw, msg(h, keepAlive=False))  # RFC 9110 7.6.1
raw, h = req(headers=((b"Host", b"x"), (b"Connection", b"upgrade"), (b"connection", b"close")))
ok("http11-close-on-second-connection-line", raw, msg(h, keepAlive=False))
raw, h = req(method=b"PURGE-X")
ok("extension-method-verbatim", raw, msg(h, method="PURGE-X"))  # RFC 9110 9.1
raw, h = req(method=b"get")
ok("lowercase-method-verbatim", raw, msg(h, method="get"))
raw, h = req(target=b"http://target.example/environ/abs?q=1", headers=((b"Host", b"other.example"),))
ok("absolute-form-overrides-host", raw, msg(h, path="/environ/abs", query="q=1", host="target.example"))  # RFC 9112 3.2.2
raw, h = req(target=b"HTTPS://EX.com:8443", headers=((b"Host", b"EX.com:8443"),))
ok("absolute-form-empty-path", raw, msg(h, path="/", query="", host="EX.com:8443"))
raw, h = req(method=b"OPTIONS", target=b"*")
ok("asterisk-form-options", raw, msg(h, path="*", query=""))  # RFC 9112 3.2.4
raw, h = req(method=b"OPTIONS", target=b"http://a.example:8001", headers=((b"Host", b"a.example:8001"),))
ok("options-absolute-form-empty-path", raw, msg(h, path="*", host="a.example:8001"))
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Content-Length", b"5")), body=b"hello")
ok("content-length-body", raw, msg(h, b"hello", bodyKind="length", contentLength=5))
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Content-Length", b"0")))
ok("content-length-zero", raw, msg(h, bodyKind="length", contentLength=0))
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Content-Length", b"005 ")), body=b"hello")
ok("content-length-leading-zeros-and-ows", raw, msg(h, b"hello", contentLength=5))
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"CoNtEnT-LeNgTh", b"3")), body=b"abc")
ok("content-length-name-case-insensitive", raw, msg(h, b"abc", contentLength=3))
raw, h = req(b"POST", b"/echo", version=b"HTTP/1.0", headers=((b"Content-Length", b"3"),), body=b"abc")
ok("http10-content-length-body", raw, msg(h, b"abc", keepAlive=False))
raw, h = req(b"GET", b"/ping", headers=((b"Host", b"x"), (b"Content-Length", b"%d" % len(SMUGGLE))), body=SMUGGLE)
ok("get-with-body-holding-a-request", raw, msg(h, SMUGGLE, bodyKind="length"))  # RFC 9112 6.3: body, never a request
enc = b"5;foo=bar\r\nhello\r\n6;baz=\"q;x\"\r\n chunk\r\nb;a;b=c\r\n extensions\r\n0;last=1\r\n\r\n"
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Transfer-Encoding", b"chunked")), body=enc)
ok("chunked-with-extensions", raw, msg(h, b"hello chunk extensions", bodyKind="chunked", contentLength=0))  # RFC 9112 7.1.1
enc = b"5 ;\ta = \"x\\\"y\" ; b\r\nhello\r\n0\r\n\r\n"
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Transfer-Encoding", b"chunked")), body=enc)
ok("chunk-extension-bws-and-quoted-pair", raw, msg(h, b"hello"))
enc = b"12\r\nbody-with-trailers\r\n0\r\nX-Trailer: t1\r\nx-other:t2 \r\n\r\n"
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Transfer-Encoding", b"chunked")), body=enc)
ok("chunked-trailers-not-merged", raw, msg(h, b"body-with-trailers", ["x-trailer", "t1", "x-other", "t2"]))  # RFC 9110 6.5.1
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Transfer-Encoding", b"Chunked")), body=b"3\r\nabc\r\n0\r\n\r\n")
ok("chunked-coding-case-insensitive", raw, msg(h, b"abc", bodyKind="chunked"))  # RFC 9112 7
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Transfer-Encoding", b"\tchunked")), body=b"3\r\nabc\r\n0\r\n\r\n")
ok("chunked-after-htab-ows", raw, msg(h, b"abc", bodyKind="chunked"))  # HTAB is OWS (RFC 9110 5.6.3), gunicorn chunked_02
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Transfer-Encoding", b", chunked ,")), body=b"0\r\n\r\n")
ok("chunked-list-with-empty-elements", raw, msg(h, bodyKind="chunked"))  # RFC 9110 5.6.1
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Transfer-Encoding", b"chunked")), body=b"00A\r\n0123456789\r\n000\r\n\r\n")
ok("chunk-size-leading-zeros-uppercase-hex", raw, msg(h, b"0123456789"))
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Transfer-Encoding", b"chunked")), body=b"".join(b"1\r\n%c\r\n" % c for c in b"abcdefghij") + b"0\r\n\r\n")
ok("many-one-byte-chunks", raw, msg(h, b"abcdefghij"))
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Transfer-Encoding", b"chunked")), body=b"0\r\n\r\n")
ok("chunked-empty-body", raw, msg(h, b""))
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Transfer-Encoding", b"chunked")), body=b"%x\r\n" % len(SMUGGLE) + SMUGGLE + b"\r\n0\r\n\r\n")
ok("chunked-body-holding-a-request", raw, msg(h, SMUGGLE))
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Expect", b"100-Continue"), (b"Content-Length", b"2")), body=b"hi")
ok("expect-100-continue", raw, msg(h, b"hi", expectContinue=True))  # RFC 9110 10.1.1
raw, h = req(b"POST", b"/echo", version=b"HTTP/1.0", headers=((b"Expect", b"100-continue"), (b"Content-Length", b"2")), body=b"hi")
ok("expect-100-continue-ignored-in-http10", raw, msg(h, b"hi", expectContinue=False))
raw, h = req(headers=((b"Host", b"x"), (b"X-Pad", b"  a \t b\t "), (b"X-Empty", b""), (b"X-Latin", b"caf\xc3\xa9\xff")))
ok("field-values-trimmed-latin1", raw, msg(h, headers=["host", "x", "x-pad", "a \t b", "x-empty", "", "x-latin", "caf\xc3\xa9\xff"]))  # RFC 9110 5.5
raw, h = req(headers=((b"Host", b"x"), (b"X-Dup3", b"a"), (b"X-Other", b"z"), (b"X-Dup3", b"b"), (b"X-Dup3", b"c")))
ok("repeated-fields-keep-order", raw, msg(h))  # RFC 9110 5.3
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Transfer_Encoding", b"chunked")), body=b"")
ok("underscore-transfer-encoding-is-not-framing", raw, msg(h, bodyKind="none"))  # gunicorn header map: framing ignores it
raw, h = req(headers=((b"Host", b"[::1]:8080"),))
ok("host-ipv6-literal-with-port", raw, msg(h, host="[::1]:8080"))
raw, h = req(headers=((b"Host", b"[2001:db8::192.0.2.1]"),))
ok("host-ipv6-with-ipv4-tail", raw, msg(h, host="[2001:db8::192.0.2.1]"))
raw, h = req(headers=((b"Host", b"127.0.0.1:80"),))
ok("host-ipv4-with-port", raw, msg(h, host="127.0.0.1:80"))
raw, h = req(headers=((b"Host", b""),))
ok("host-empty-value", raw, msg(h, host=""))  # RFC 9112 3.2: empty Host when the URI has no authority
raw, h = req(headers=((b"Host", b"xn--bcher-kva.example:"),))
ok("host-empty-port", raw, msg(h, host="xn--bcher-kva.example:"))
raw, h = req(target=b"/environ?" + b"q" * (8190 - len(b"GET /environ? HTTP/1.1")))
ok("request-line-at-the-limit", raw, msg(h))  # RFC 9112 3: at least 8000 octets
raw, h = req(headers=((b"Host", b"x"), (b"X-Big", b"v" * 4096)))
ok("header-value-4k", raw, msg(h))
raw1, h1 = req(target=b"/1")
raw2, h2 = req(b"POST", b"/2", headers=((b"Host", b"x"), (b"Content-Length", b"5")), body=b"alpha")
raw3, h3 = req(b"POST", b"/3", headers=((b"Host", b"x"), (b"Transfer-Encoding", b"chunked"), (b"Connection", b"close")), body=b"5\r\nbravo\r\n0\r\n\r\n")
ok("three-pipelined-requests", raw1 + raw2 + raw3, msg(h1), msg(h2, b"alpha"), msg(h3, b"bravo", keepAlive=False))  # RFC 9112 9.3.2
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Content-Length", b"10")), body=b"hello")
ok("content-length-body-incomplete", raw, msg(h, b"hello", end=False))
raw, h = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Transfer-Encoding", b"chunked")), body=b"5\r\nhello\r\n0\r\n")
ok("chunked-missing-final-crlf-waits", raw, msg(h, b"hello", end=False))  # gunicorn #3382: never ends early

# ------------------------------------------------------------------ request-line
bad("bare-lf-line-endings", b"GET / HTTP/1.1\nHost: x\n\n", 400, "YW_HTTP_BAD_LINE_ENDING")  # RFC 9112 2.2
bad("bare-cr-after-request-line", b"GET / HTTP/1.1\rHost: x\r\n\r\n", 400, "YW_HTTP_BAD_LINE_ENDING")
bad("bare-lf-before-request-line", b"\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_LINE_ENDING")
bad("bare-cr-before-request-line", b"\r\rGET / HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_LINE_ENDING")
bad("request-line-starts-with-space", b" /ping HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_REQUEST_LINE")
bad("method-not-a-token", b"G@T /ping HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_METHOD")  # RFC 9110 9.1
bad("method-with-nul", b"GE\x00T /ping HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_METHOD")
bad("method-with-colon", b"GET: /ping HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_METHOD")
bad("method-non-ascii", b"G\xc9T /ping HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_METHOD")
bad("method-tab-separator", b"GET\t/ping HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_METHOD")
bad("tls-client-hello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400, "YW_HTTP_BAD_METHOD")
bad("double-space-before-target", b"GET  /ping HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_REQUEST_LINE")
bad("space-inside-target", b"GET /pi ng HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_VERSION")  # RFC 9112 3.2
bad("ctl-in-target", b"GET /pi\x01ng HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_TARGET")
bad("del-in-target", b"GET /pi\x7fng HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_TARGET")
bad("raw-utf8-in-target", b"GET /environ/\xc3\xa9 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_TARGET")
bad("fragment-in-target", b"GET /ping#frag HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_TARGET")
bad("version-lowercase", b"GET /ping http/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_VERSION")  # RFC 9112 2.3
bad("version-http2", b"GET /ping HTTP/2.0\r\nHost: x\r\n\r\n", 505, "YW_HTTP_BAD_VERSION")  # RFC 9110 15.6.6
# RFC 9110 2.5, RFC 9112 2.3: a higher minor version of HTTP/1 is processed
# as the highest one we implement, HTTP/1.1.
raw, h = req(target=b"/ping", version=b"HTTP/1.2")
ok("version-http12", raw, msg(h, minorVersion=1, keepAlive=True))
bad("version-http09", b"GET /ping HTTP/0.9\r\nHost: x\r\n\r\n", 505, "YW_HTTP_BAD_VERSION")
bad("version-trailing-space", b"GET /ping HTTP/1.1 \r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_VERSION")
bad("version-without-minor", b"GET /ping HTTP/11\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_VERSION")
bad("version-missing-http09-style", b"GET /ping\r\n\r\n", 400, "YW_HTTP_BAD_REQUEST_LINE")
bad("http2-preface", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505, "YW_HTTP_BAD_VERSION")
bad("asterisk-form-with-get", b"GET * HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_TARGET")  # RFC 9112 3.2.4
bad("authority-form-with-get", b"GET example.com:80 HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_TARGET")  # RFC 9112 3.2.3
bad("connect-authority-form-not-supported", b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n", 501, "YW_HTTP_CONNECT_UNSUPPORTED")
bad("connect-origin-form", b"CONNECT /ping HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_TARGET")
bad("absolute-form-other-scheme", b"GET ftp://x/file HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_TARGET")
bad("absolute-form-userinfo", b"GET http://user:pw@x/ HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_TARGET")  # RFC 9110 4.2.4
bad("absolute-form-empty-host", b"GET http:///ping HTTP/1.1\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_TARGET")  # RFC 9110 4.2.1
bad("request-line-one-over-the-limit", b"GET /environ?" + b"q" * (8191 - len(b"GET /environ? HTTP/1.1")) + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "YW_HTTP_URI_TOO_LONG")
bad("request-target-64k", b"GET /environ?" + b"a" * 65536 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414, "YW_HTTP_URI_TOO_LONG")

# ------------------------------------------------------------------ field lines
bad("space-before-colon", get(((b"Host", b"x"), (b"X-Foo ", b"bar"))), 400, "YW_HTTP_BAD_HEADER_NAME")  # RFC 9112 5.1
bad("content-length-space-before-colon", post(((b"Content-Length ", b"1"),), b"x"), 400, "YW_HTTP_BAD_HEADER_NAME")  # cheroot #230
bad("transfer-encoding-space-before-colon", post(((b"Transfer-Encoding ", b"chunked"),), b"0\r\n\r\n"), 400, "YW_HTTP_BAD_HEADER_NAME")  # cheroot #275
bad("whitespace-before-first-field", b"GET /ping HTTP/1.1\r\n X-Ws-First: evil\r\nHost: x\r\n\r\n", 400, "YW_HTTP_BAD_HEADER_NAME")  # RFC 9112 2.2
bad("space-before-content-length-name", b"POST /echo HTTP/1.1\r\nHost: x\r\n Content-Length: 5\r\n\r\nhello" + SMUGGLE, 400, "YW_HTTP_OBS_FOLD")  # CVE-2024-27982
bad("obs-fold-generic", b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n b\r\n\r\n", 400, "YW_HTTP_OBS_FOLD")  # RFC 9112 5.2
bad("obs-fold-tab", b"GET /ping HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n\tb\r\n\r\n", 400, "YW_HTTP_OBS_FOLD")
bad("transfer-encoding-obs-fold", b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding:\r\n chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n", 400, "YW_HTTP_OBS_FOLD")  # CVE-2022-32215
bad("field-name-not-a-token", get(((b"Host", b"x"), (b"X@Foo", b"bar"))), 400, "YW_HTTP_BAD_HEADER_NAME")
bad("field-line-without-colon", b"GET /ping HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n", 400, "YW_HTTP_BAD_HEADER_NAME")
bad("field-name-empty", b"GET /ping HTTP/1.1\r\nHost: x\r\n: x\r\n\r\n", 400, "YW_HTTP_BAD_HEADER_NAME")
bad("field-name-nbsp-transfer-encoding", post(((b"Transfer-Encoding\xa0", b"chunked"),), b"0\r\n\r\n"), 400, "YW_HTTP_BAD_HEADER_NAME")  # gunicorn #3091
bad("field-name-nel-content-length", post(((b"Content-Length\x85", b"5"),), b"hello"), 400, "YW_HTTP_BAD_HEADER_NAME")  # gunicorn #3091
bad("nul-in-field-value", get(((b"Host", b"x"), (b"X-Nul", b"a\x00b"))), 400, "YW_HTTP_BAD_HEADER_VALUE")  # RFC 9110 5.5
bad("ctl-in-field-value", get(((b"Host", b"x"), (b"X-Ctl", b"a\x01b"))), 400, "YW_HTTP_BAD_HEADER_VALUE")
bad("del-in-field-value", get(((b"Host", b"x"), (b"X-Del", b"a\x7fb"))), 400, "YW_HTTP_BAD_HEADER_VALUE")
bad("vertical-tab-before-chunked", post(((b"Transfer-Encoding", b"\x0bchunked"),), b"0\r\n\r\n"), 400, "YW_HTTP_BAD_HEADER_VALUE")  # CVE-2019-16789
bad("special-whitespace-around-chunked", post(((b"Transfer-Encoding", b"\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0chunked\x0b\x85\xa0"),), b"0\r\n\r\n"), 400, "YW_HTTP_BAD_HEADER_VALUE")  # gunicorn #3364
bad("bare-cr-hides-content-length", b"GET /ping HTTP/1.1\r\nHost: x\r\nX-A: 1\rContent-Length: %d\r\n\r\n" % len(SMUGGLE) + SMUGGLE, 400, "YW_HTTP_BAD_LINE_ENDING")  # CVE-2023-30589
bad("bare-lf-hides-content-length", b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\nX-Header: x\nContent-Length: 0\r\n\r\n" + SMUGGLE, 400, "YW_HTTP_BAD_LINE_ENDING")  # CVE-2019-16785
bad("head-ended-by-cr-lf-cr-x", b"GET /ping HTTP/1.1\r\nHost: x\r\n\rX-Foo: 1\r\n\r\n", 400, "YW_HTTP_BAD_LINE_ENDING")  # CVE-2025-23167
bad("head-ended-by-lf", b"GET /ping HTTP/1.1\r\nHost: x\r\n\n", 400, "YW_HTTP_BAD_LINE_ENDING")  # CVE-2022-35256
bad("too-many-fields", get(((b"Host", b"x"),) + tuple((b"A%d" % i, b"b") for i in range(100))), 431, "YW_HTTP_TOO_MANY_HEADERS")  # RFC 6585 5
bad("field-section-too-large", get(((b"Host", b"x"),) + tuple((b"X-Pad-%d" % i, b"p" * 1000) for i in range(70))), 431, "YW_HTTP_HEADERS_TOO_LARGE")
bad("single-field-value-70k", get(((b"Host", b"x"), (b"X-Huge", b"h" * 70000))), 431, "YW_HTTP_HEADERS_TOO_LARGE")
bad("duplicate-content-type", get(((b"Host", b"x"), (b"Content-Type", b"text/plain"), (b"Content-Type", b"text/html"))), 400, "YW_HTTP_DUPLICATE_FIELD")  # gunicorn #3366

# ------------------------------------------------------------------ Host
bad("host-missing-http11", b"GET /environ HTTP/1.1\r\n\r\n", 400, "YW_HTTP_BAD_HOST")  # RFC 9112 3.2
bad("host-repeated", get(((b"Host", b"a"), (b"Host", b"b"))), 400, "YW_HTTP_BAD_HOST")
bad("host-repeated-same-value", get(((b"Host", b"x"), (b"host", b"x"))), 400, "YW_HTTP_BAD_HOST")
bad("host-repeated-http10", get(((b"Host", b"x"), (b"Host", b"x")), version=b"HTTP/1.0"), 400, "YW_HTTP_BAD_HOST")
bad("host-with-space-and-slash", get(((b"Host", b"bad host/x"),)), 400, "YW_HTTP_BAD_HOST")
bad("host-with-userinfo", get(((b"Host", b"user@x"),)), 400, "YW_HTTP_BAD_HOST")
bad("host-bad-ipv6", get(((b"Host", b"[::g]"),)), 400, "YW_HTTP_BAD_HOST")
bad("host-unclosed-ipv6", get(((b"Host", b"[::1:80"),)), 400, "YW_HTTP_BAD_HOST")
bad("host-non-numeric-port", get(((b"Host", b"x:8a"),)), 400, "YW_HTTP_BAD_HOST")
bad("host-missing-with-absolute-form", b"GET http://a.example/ HTTP/1.1\r\n\r\n", 400, "YW_HTTP_BAD_HOST")

# ------------------------------------------------------------------ Content-Length
for name, value in [("plus-sign", b"+5"), ("negative", b"-1"), ("minus-zero", b"-0"), ("hex", b"0x5"), ("internal-space", b"1 0"),
                    ("empty", b""), ("list-differing", b"5, 40"), ("list-equal", b"5, 5"), ("decimal-point", b"5.0"),
                    ("fullwidth-digit", "\uff15".encode("utf-8"))]:
    bad("content-length-" + name, post(((b"Content-Length", value),), b"hello" + SMUGGLE), 400, "YW_HTTP_BAD_CONTENT_LENGTH")  # RFC 9110 8.6, CVE-2022-24761
bad("content-length-repeated-same", post(((b"Content-Length", b"5"), (b"Content-Length", b"5")), b"hello" + SMUGGLE), 400, "YW_HTTP_BAD_CONTENT_LENGTH")  # CVE-2019-16792
bad("content-length-repeated-differing", post(((b"Content-Length", b"5"), (b"Content-Length", b"0")), b"hello" + SMUGGLE), 400, "YW_HTTP_BAD_CONTENT_LENGTH")  # cheroot #714, uWSGI #2775
bad("content-length-2-pow-70", post(((b"Content-Length", b"%d" % 2 ** 70),), b"hello" + SMUGGLE), 400, "YW_HTTP_BAD_CONTENT_LENGTH")  # RFC 9110 8.6 overflow
bad("content-length-wraps-uint64", post(((b"Content-Length", b"%d" % (2 ** 64 + 5)),), b"hello" + SMUGGLE), 400, "YW_HTTP_BAD_CONTENT_LENGTH")
bad("content-length-over-max-safe-integer", post(((b"Content-Length", b"9007199254740992"),), b"hello"), 400, "YW_HTTP_BAD_CONTENT_LENGTH")
bad("content-length-max-safe-integer-too-large", post(((b"Content-Length", b"9007199254740991"),), b"hello"), 413, "YW_HTTP_BODY_TOO_LARGE")
bad("content-length-over-max-body", post(((b"Content-Length", b"1000000000000000"),), b"hello" + SMUGGLE), 413, "YW_HTTP_BODY_TOO_LARGE")

# ------------------------------------------------------------------ Transfer-Encoding
bad("te-and-cl", post(((b"Transfer-Encoding", b"chunked"), (b"Content-Length", b"3")), b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLE), 400, "YW_HTTP_CL_AND_TE")  # RFC 9112 6.1
bad("cl-and-te", post(((b"Content-Length", b"3"), (b"Transfer-Encoding", b"chunked")), b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLE), 400, "YW_HTTP_CL_AND_TE")
bad("te-chunked-twice-with-cl", post(((b"Transfer-Encoding", b"chunked, chunked"), (b"Content-Length", b"5")), b"0\r\n\r\n" + SMUGGLE), 400, "YW_HTTP_CL_AND_TE")
bad("te-in-http10", post(((b"Transfer-Encoding", b"chunked"),), b"5\r\nhello\r\n0\r\n\r\n" + SMUGGLE, version=b"HTTP/1.0"), 400, "YW_HTTP_BAD_TRANSFER_ENCODING")  # RFC 9112 6.1
bad("te-and-cl-in-http10", post(((b"Connection", b"keep-alive"), (b"Content-Length", b"5"), (b"Transfer-Encoding", b"chunked")), b"0\r\n\r\n" + SMUGGLE, version=b"HTTP/1.0"), 400, "YW_HTTP_BAD_TRANSFER_ENCODING")
bad("te-chunked-twice", post(((b"Transfer-Encoding", b"chunked, chunked"),), b"0\r\n\r\n"), 400, "YW_HTTP_BAD_TRANSFER_ENCODING")  # RFC 9112 6.1
bad("te-chunked-on-two-lines", post(((b"Transfer-Encoding", b"chunked"), (b"Transfer-Encoding", b"chunked")), b"0\r\n\r\n"), 400, "YW_HTTP_BAD_TRANSFER_ENCODING")  # waitress #465
bad("te-chunked-not-last", post(((b"Transfer-Encoding", b"chunked, identity"),), b"0\r\n\r\n" + SMUGGLE), 400, "YW_HTTP_BAD_TRANSFER_ENCODING")  # RFC 9112 6.3 item 4
bad("te-chunked-then-gzip-lines", post(((b"Transfer-Encoding", b"chunked"), (b"Transfer-Encoding", b"gzip")), b"0\r\n\r\n"), 400, "YW_HTTP_BAD_TRANSFER_ENCODING")  # CVE-2024-1135 chunked_06
bad("te-chunked-then-identity-lines", post(((b"Transfer-Encoding", b"chunked"), (b"Transfer-Encoding", b"identity")), b"0\r\n\r\n"), 400, "YW_HTTP_BAD_TRANSFER_ENCODING")  # CVE-2024-1135 chunked_08
bad("te-empty", post(((b"Transfer-Encoding", b""),), b"0\r\n\r\n"), 400, "YW_HTTP_BAD_TRANSFER_ENCODING")
bad("te-empty-line-then-chunked", post(((b"Transfer-Encoding", b""), (b"Transfer-Encoding", b"chunked")), b"0\r\n\r\n"), 400, "YW_HTTP_BAD_TRANSFER_ENCODING")
bad("te-only-commas", post(((b"Transfer-Encoding", b", ,"),), b"0\r\n\r\n"), 400, "YW_HTTP_BAD_TRANSFER_ENCODING")
bad("te-identity-then-chunked-lines", post(((b"Transfer-Encoding", b"identity"), (b"Transfer-Encoding", b"chunked")), b"0\r\n\r\n"), 501, "YW_HTTP_UNKNOWN_TRANSFER_CODING")  # CVE-2024-1135 chunked_04
for name, value in [("xchunked", b"xchunked"), ("identity", b"identity"), ("gzip", b"gzip"), ("gzip-chunked", b"gzip, chunked"),
                    ("identity-chunked", b"identity, chunked"), ("quoted", b'"chunked"'), ("chunked-false", b"chunked-false"),
                    ("chunked-with-parameter", b"chunked;q=1"), ("nbsp-chunked", b"\xa0chunked")]:
    bad("te-" + name, post(((b"Transfer-Encoding", value),), b"0\r\n\r\n" + SMUGGLE), 501, "YW_HTTP_UNKNOWN_TRANSFER_CODING")  # RFC 9112 6.1, CVE-2019-16786

# ------------------------------------------------------------------ chunked body
_, CHUNKED_HEAD = req(b"POST", b"/echo", headers=((b"Host", b"x"), (b"Transfer-Encoding", b"chunked")))


def bad_body(name, body, status, code, got=b""):
    """A chunked POST whose body is invalid: the head and `got` come out before the error."""
    bad(name, chunked_post(body), status, code, msg(CHUNKED_HEAD, got, end=False))


bad_body("chunk-size-overflow", b"%x\r\nhello\r\n0\r\n\r\n" % (2 ** 68 + 5), 400, "YW_HTTP_BAD_CHUNK")  # RFC 9112 7.1
bad_body("chunk-size-over-max-body", b"40000001\r\nhello\r\n0\r\n\r\n", 413, "YW_HTTP_BODY_TOO_LARGE")
for name, line in [("negative", b"-5"), ("plus", b"+5"), ("0x-prefix", b"0x5"), ("empty", b""), ("leading-space", b" 5"),
                   ("trailing-space", b"5 "), ("underscore", b"6_0"), ("too-many-leading-zeros", b"0" * 40 + b"5")]:
    bad_body("chunk-size-" + name, line + b"\r\nhello\r\n0\r\n\r\n" + SMUGGLE, 400, "YW_HTTP_BAD_CHUNK")  # CVE-2022-24761
bad_body("chunk-data-too-long", b"5\r\nhelloXX\r\n0\r\n\r\n" + SMUGGLE, 400, "YW_HTTP_BAD_CHUNK", got=b"hello")  # CVE-2025-43859
bad_body("chunk-data-too-short", b"5\r\nhell\r\n0\r\n\r\n" + SMUGGLE, 400, "YW_HTTP_BAD_CHUNK", got=b"hell\r")
bad_body("chunk-data-ended-by-lf", b"5\r\nhello\n0\r\n\r\n", 400, "YW_HTTP_BAD_CHUNK", got=b"hello")
bad_body("chunk-lines-bare-lf", b"5\nhello\n0\n\n" + SMUGGLE, 400, "YW_HTTP_BAD_LINE_ENDING")
bad_body("chunk-extension-bare-lf", b"5;a\nb\r\nhello\r\n0\r\n\r\n" + SMUGGLE, 400, "YW_HTTP_BAD_LINE_ENDING")  # funky chunks
bad_body("chunk-extension-bare-cr", b"5;a\rb\r\nhello\r\n0\r\n\r\n" + SMUGGLE, 400, "YW_HTTP_BAD_LINE_ENDING")
bad_body("chunk-extension-too-long", b"5;a=" + b"x" * 5000 + b"\r\nhello\r\n0\r\n\r\n", 400, "YW_HTTP_CHUNK_EXTENSION_TOO_LONG")  # CVE-2024-22019
for name, ext in [("ctl", b";a=b\x01"), ("not-a-token", b";a=@"), ("empty-name", b";=1"), ("no-semicolon", b" x=1"),
                  ("unterminated-quote", b';a="x'), ("empty-value", b";a=")]:
    bad_body("chunk-extension-" + name, b"5" + ext + b"\r\nhello\r\n0\r\n\r\n" + SMUGGLE, 400, "YW_HTTP_BAD_CHUNK")
bad_body("last-chunk-ended-by-lf", b"0\r\n\n", 400, "YW_HTTP_BAD_LINE_ENDING")
bad_body("last-chunk-without-final-crlf-then-request", b"0\r\n" + SMUGGLE, 400, "YW_HTTP_BAD_HEADER_NAME")  # gunicorn #3382
for name in (b"Content-Length", b"Transfer-Encoding", b"Host"):
    bad_body("trailer-" + name.decode().lower(), b"0\r\n" + name + b": 5\r\n\r\n", 400, "YW_HTTP_BAD_TRAILER")  # RFC 9110 6.5.1
bad_body("trailer-obs-fold", b"0\r\nX-T: a\r\n b\r\n\r\n", 400, "YW_HTTP_OBS_FOLD")
bad_body("trailer-bare-lf", b"0\r\nX-T: a\n\r\n", 400, "YW_HTTP_BAD_LINE_ENDING")
bad_body("trailer-nul-in-value", b"0\r\nX-T: a\x00\r\n\r\n", 400, "YW_HTTP_BAD_HEADER_VALUE")

# ------------------------------------------------------------------ pipelining
raw, h = req(target=b"/1")
bad("valid-request-then-garbage", raw + b"\x00\x01garbage\r\n\r\n", 400, "YW_HTTP_BAD_METHOD", msg(h))
bad("rob-garbage-bytes", bytes((i * 131 + 7) % 256 for i in range(2048)).replace(b"\n", b"\x00").replace(b"\r", b"\x00") + b"\r\n\r\n", 400, "YW_HTTP_BAD_METHOD")


# ------------------------------------------------------------------ higher HTTP/1 minor versions (RFC 9110 2.5)
raw, h = req(target=b"/ping", version=b"HTTP/1.9", headers=((b"Host", b"x"), (b"Connection", b"close")))
ok("version-http19-is-http11", raw, msg(h, minorVersion=1, keepAlive=False))
raw, h = req(b"POST", b"/echo", version=b"HTTP/1.5", headers=((b"Host", b"x"), (b"Transfer-Encoding", b"chunked")), body=b"2\r\nhi\r\n0\r\n\r\n")
ok("version-http15-chunked-as-http11", raw, msg(h, b"hi", minorVersion=1, bodyKind="chunked"))
bad("version-http12-without-host", b"GET /ping HTTP/1.2\r\n\r\n", 400, "YW_HTTP_BAD_HOST")  # as HTTP/1.1: RFC 9112 3.2
bad("version-http30", b"GET /ping HTTP/3.0\r\nHost: x\r\n\r\n", 505, "YW_HTTP_BAD_VERSION")  # RFC 9110 15.6.6


def write():
    for f in os.listdir(HERE):
        if re.match(r"\d{3}-.*\.(http|json)$", f):
            os.remove(os.path.join(HERE, f))
    names = set()
    for i, (name, raw, expected) in enumerate(CASES, 1):
        assert name not in names, name
        names.add(name)
        base = os.path.join(HERE, "%03d-%s" % (i, name))
        with open(base + ".http", "wb") as f:
            f.write(raw)
        with open(base + ".json", "w") as f:
            json.dump(expected, f, indent=1, ensure_ascii=True)
            f.write("\n")
    print("%d cases" % len(CASES))


if __name__ == "__main__":
    write()
