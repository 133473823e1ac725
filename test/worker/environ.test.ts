// The REQUEST payload (src/worker/environ.ts): the CGI part of the environ as
// NUL-separated pairs, in the order the fields first appeared.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { requestPayload, type ConnectionFacts } from '../../src/worker/environ';
import { parseHead as head } from '../support/request-heads';

const FACTS: ConnectionFacts = {
  remoteAddress: '10.0.0.9', remotePort: 40000, localAddress: '127.0.0.1', localPort: 8000, scheme: 'http', tls: false, forwarded: null, rootPath: '',
};


/** The fixed fields and the pairs of a payload. */
function decode(payload: string): { fixed: string[]; pairs: Array<[string, string]> } {
  const parts = payload.split('\0');
  const pairs: Array<[string, string]> = [];
  for (let i = 10; i + 1 < parts.length; i += 2) pairs.push([parts[i] as string, parts[i + 1] as string]);
  return { fixed: parts.slice(0, 10), pairs };
}

test('the fixed fields, then each field once in first-seen order, repeats joined with ", "', () => {
  const { fixed, pairs } = decode(requestPayload(head(
    'GET /a%20b?x=1 HTTP/1.1\r\nHost: example.com:8080\r\nAccept: a\r\nX-Forwarded-For: 1.1.1.1\r\nAccept: b\r\nX-Forwarded-For: 2.2.2.2\r\n\r\n',
  ), FACTS, true));
  assert.deepEqual(fixed, ['GET', '/a%20b', 'x=1', 'HTTP/1.1', '10.0.0.9', '40000', 'example.com', '8080', 'http', 'd']);
  assert.deepEqual(pairs, [['HTTP_HOST', 'example.com:8080'], ['HTTP_ACCEPT', 'a, b'], ['HTTP_X_FORWARDED_FOR', '1.1.1.1, 2.2.2.2']]);
});

test('names with "_" are dropped; a chunked body has no CONTENT_LENGTH; an absolute-form target replaces Host', () => {
  const { fixed, pairs } = decode(requestPayload(head(
    'POST http://other.example/p HTTP/1.1\r\nHost: example.com\r\nX_Auth: spoof\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n',
  ), FACTS, false));
  assert.deepEqual(fixed.slice(6), ['other.example', '80', 'http', 'b']);
  assert.deepEqual(pairs, [['HTTP_HOST', 'other.example'], ['CONTENT_TYPE', 'text/plain'], ['HTTP_TRANSFER_ENCODING', 'chunked']]);
});

test('many fields (past the linear search) keep the same order and joins', () => {
  let raw = 'GET / HTTP/1.1\r\nHost: h\r\n';
  for (let i = 0; i < 40; i++) raw += `X-F${i % 25}: v${i}\r\n`;
  const { pairs } = decode(requestPayload(head(raw + '\r\n'), FACTS, false));
  assert.equal(pairs.length, 26);
  assert.deepEqual(pairs[0], ['HTTP_HOST', 'h']);
  assert.deepEqual(pairs[1], ['HTTP_X_F0', 'v0, v25']);
  assert.deepEqual(pairs[25], ['HTTP_X_F24', 'v24']);
  assert.deepEqual(pairs[15], ['HTTP_X_F14', 'v14, v39']);
});

test('--root-path adds SCRIPT_NAME, and RAW_URI when it was stripped from the path', () => {
  const facts = { ...FACTS, rootPath: '/app' };
  const under = decode(requestPayload(head('GET /app/x?q HTTP/1.1\r\nHost: h\r\n\r\n'), facts, false));
  assert.equal(under.fixed[1], '/x');
  assert.deepEqual(under.pairs, [['HTTP_HOST', 'h'], ['RAW_URI', '/app/x?q'], ['SCRIPT_NAME', '/app']]);
  const outside = decode(requestPayload(head('GET /apple HTTP/1.1\r\nHost: h\r\n\r\n'), facts, false));
  assert.equal(outside.fixed[1], '/apple');
  assert.deepEqual(outside.pairs, [['HTTP_HOST', 'h'], ['SCRIPT_NAME', '/app']]);
});
