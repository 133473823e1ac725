// The pure parts of HTTP/2 support: an h2 header list as a RequestHead, and
// telling the h2c preface from HTTP/1.1 by the first bytes.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DEFAULT_LIMITS, type ParseError, type RequestHead } from '../../src/http/request-head';
import { http2Head, isParseError } from '../../src/http2/request-head';
import { PREFACE, classify } from '../../src/http2/preface';

const BASE = [':method', 'GET', ':scheme', 'https', ':authority', 'example.com:8443', ':path', '/a/b?x=1&y'];

function head(extra: string[] = [], endStream = true, base = BASE): RequestHead {
  const h = http2Head([...base, ...extra], endStream, DEFAULT_LIMITS);
  if (isParseError(h)) throw new Error(`unexpected ${h.status} ${h.detail}`);
  return h;
}

function refused(extra: string[], endStream = true, limits = DEFAULT_LIMITS): ParseError {
  const h = http2Head([...BASE, ...extra], endStream, limits);
  assert.ok(isParseError(h), 'expected a refusal');
  return h;
}

test('pseudo-header fields become method, target, path, query and host; they are not HTTP_* fields', () => {
  const h = head(['accept', '*/*']);
  assert.equal(h.method, 'GET');
  assert.equal(h.target, '/a/b?x=1&y');
  assert.equal(h.path, '/a/b');
  assert.equal(h.query, 'x=1&y');
  assert.equal(h.host, 'example.com:8443');
  assert.equal(h.http2, true);
  assert.deepEqual(h.headers, ['accept', '*/*']);
  assert.equal(h.bodyKind, 'none');
});

test('cookie fields split by the client are joined with "; " (RFC 9113 8.2.3)', () => {
  assert.deepEqual(head(['cookie', 'a=1', 'x-y', 'z', 'cookie', 'b=2']).headers, ['x-y', 'z', 'cookie', 'a=1; b=2']);
});

test('the body: none with END_STREAM or content-length 0, a length, or unknown until END_STREAM', () => {
  assert.equal(head([], true).bodyKind, 'none');
  assert.equal(head(['content-length', '0'], false).bodyKind, 'none');
  const sized = head(['content-length', '12'], false);
  assert.equal(sized.bodyKind, 'length');
  assert.equal(sized.contentLength, 12);
  const open = head([], false);
  assert.equal(open.bodyKind, 'chunked');
  assert.equal(open.contentLength, 0);
});

test('Expect: 100-continue counts only when a body follows', () => {
  assert.equal(head(['expect', '100-continue'], false).expectContinue, true);
  assert.equal(head(['expect', '100-continue'], true).expectContinue, false);
});

test('without :authority the Host field names the host; a Host that differs from :authority is refused', () => {
  const noAuthority = [':method', 'GET', ':scheme', 'http', ':path', '/'];
  assert.equal(head(['host', 'h.example'], true, noAuthority).host, 'h.example');
  assert.equal(head(['host', 'example.com:8443']).host, 'example.com:8443');
  assert.equal(refused(['host', 'other.example']).status, 400);
});

test('limits shared with HTTP/1.1: --max-headers, --max-header-size, --max-body-size by content-length', () => {
  const many: string[] = [];
  for (let i = 0; i <= DEFAULT_LIMITS.maxHeaders; i++) many.push(`x-${i}`, 'v');
  assert.equal(refused(many).code, 'YW_HTTP_TOO_MANY_HEADERS');
  assert.equal(refused(['x-big', 'a'.repeat(DEFAULT_LIMITS.maxHeaderBytes)]).code, 'YW_HTTP_HEADERS_TOO_LARGE');
  const small = { ...DEFAULT_LIMITS, maxBodyBytes: 10 };
  assert.equal(refused(['content-length', '11'], false, small).status, 413);
});

test('a bad or conflicting content-length is 400; an identical repeat is one field', () => {
  assert.equal(refused(['content-length', '1x'], false).code, 'YW_HTTP_BAD_CONTENT_LENGTH');
  assert.equal(refused(['content-length', '5', 'content-length', '6'], false).code, 'YW_HTTP_BAD_CONTENT_LENGTH');
  assert.deepEqual(head(['content-length', '5', 'content-length', '5'], false).headers, ['content-length', '5']);
});

test('CONNECT is refused with 501, as on HTTP/1.1', () => {
  const h = http2Head([':method', 'CONNECT', ':authority', 'example.com:443'], false, DEFAULT_LIMITS);
  assert.ok(isParseError(h));
  assert.equal(h.status, 501);
});

test('the h2c preface is told from HTTP/1.1 by its first differing byte', () => {
  assert.equal(classify(PREFACE), 'h2');
  assert.equal(classify(Buffer.concat([PREFACE, Buffer.from([0, 0, 0, 4])])), 'h2');
  assert.equal(classify(PREFACE.subarray(0, 10)), 'more');
  assert.equal(classify(Buffer.from('P')), 'more');
  assert.equal(classify(Buffer.from('GET / HTTP/1.1\r\n')), 'http1');
  assert.equal(classify(Buffer.from('POST / HTTP/1.1\r\n')), 'http1');
  assert.equal(classify(Buffer.from('PRI / HTTP/1.1\r\n')), 'http1');
  assert.equal(classify(Buffer.from([0x16, 0x03, 0x01])), 'http1'); // TLS on the plain port is HTTP/1.1's to refuse
});
