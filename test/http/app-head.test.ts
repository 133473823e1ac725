// The application's response head parsed once per distinct head
// (src/http/app-head.ts), and the framing ResponseWriter builds on it
// (src/http/response-writer.ts) against a socket that records its writes.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { appHead, parseAppHead } from '../../src/http/app-head';
import { ResponseWriter, type ResponseRequest } from '../../src/http/response-writer';

test('a head is reduced to its status, its framing facts and the fields that pass', () => {
  const h = parseAppHead('200 OK\0Content-Type\0text/plain\0Content-Length\x0013\0Connection\0Keep-Alive, close\0Transfer-Encoding\0chunked');
  assert.equal(h.error, undefined);
  assert.equal(h.status, 200);
  assert.equal(h.statusLine, '200 OK');
  assert.equal(h.contentLength, 13);
  assert.equal(h.close, true);
  assert.equal(h.hasDate, false);
  assert.equal(h.hasServer, false);
  assert.equal(h.prefix, 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n');
});

test('Date and Server from the application are kept and noted; a Connection without close is not a close', () => {
  const h = parseAppHead('404 Not Found\0Date\0Tue, 01 Dec 2026 00:00:00 GMT\0Server\0app\0Connection\0keep-alive');
  assert.equal(h.hasDate, true);
  assert.equal(h.hasServer, true);
  assert.equal(h.close, false);
  assert.equal(h.contentLength, -1);
  assert.equal(h.prefix, 'HTTP/1.1 404 Not Found\r\nDate: Tue, 01 Dec 2026 00:00:00 GMT\r\nServer: app\r\n');
});

test('a bad or contradictory Content-Length is an error; an identical repeat is dropped; a 204 never carries one', () => {
  assert.match(parseAppHead('200 OK\0Content-Length\0-1').error ?? '', /invalid Content-Length/);
  assert.match(parseAppHead('200 OK\0Content-Length\x001\0Content-Length\x002').error ?? '', /invalid Content-Length/);
  assert.match(parseAppHead('200 OK\0Content-Length\x001234567890123456').error ?? '', /invalid Content-Length/);
  assert.equal(parseAppHead('200 OK\0Content-Length\x005\0Content-Length\x005').prefix, 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n');
  const noContent = parseAppHead('204 No Content\0Content-Length\x000');
  assert.equal(noContent.prefix, 'HTTP/1.1 204 No Content\r\n');
  assert.equal(noContent.contentLength, 0);
});

test('the same head text is parsed once; a long one is never kept', () => {
  const text = '200 OK\0X-Once\0' + String(Math.random());
  assert.equal(appHead(text), appHead(text));
  const long = '200 OK\0X-Long\0' + 'a'.repeat(2000);
  assert.notEqual(appHead(long), appHead(long));
  assert.deepEqual(appHead(long), parseAppHead(long));
});

test('the cache stays bounded whatever the application sends', () => {
  const first = '200 OK\0X-First\0' + String(Math.random());
  const kept = appHead(first);
  for (let i = 0; i < 200; i++) appHead(`200 OK\0X-N\0${i}`);
  // Emptied on the way: the first head is parsed again, to an equal result.
  assert.notEqual(appHead(first), kept);
  assert.deepEqual(appHead(first), kept);
});

class RecordingSocket {
  readonly written: string[] = [];
  writableNeedDrain = false;
  write(chunk: Buffer): boolean {
    this.written.push(chunk.toString('latin1'));
    return true;
  }
  cork(): void {}
  uncork(): void {}
}

function respond(request: ResponseRequest, head: string, body: string, complete: boolean, mustClose = false) {
  const socket = new RecordingSocket();
  const writer = new ResponseWriter(socket as unknown as Socket, request, 'yimmo-test', () => mustClose);
  const error = writer.head(head, Buffer.from(body, 'latin1'), complete);
  return { error, writer, wire: socket.written.join('') };
}

const GET11: ResponseRequest = { method: 'GET', minorVersion: 1, keepAlive: true };
const GET10: ResponseRequest = { method: 'GET', minorVersion: 0, keepAlive: true };

/** The head without its Date line (the clock's), for exact comparisons. */
const undated = (wire: string): string => wire.replace(/Date: [^\r]*\r\n/, '');

test('a complete body without Content-Length gets one; Date and Server are added once', () => {
  const r = respond(GET11, '200 OK\0Content-Type\0text/plain', 'hello', true);
  assert.equal(r.error, undefined);
  assert.match(r.wire, /\r\nDate: [A-Z][a-z]{2}, \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d GMT\r\n/);
  assert.equal(undated(r.wire), 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\nServer: yimmo-test\r\n\r\nhello');
  assert.equal(r.writer.sentHead, r.wire.slice(0, -5));
  const own = respond(GET11, '200 OK\0Server\0mine', 'hello', true);
  assert.equal(undated(own.wire), 'HTTP/1.1 200 OK\r\nServer: mine\r\nContent-Length: 5\r\n\r\nhello');
  assert.match(own.wire, /\r\nDate: /);
});

test('the framing follows the request: HEAD and 304 carry no body, an unfinished body is chunked on 1.1 and close-delimited on 1.0', () => {
  const head = respond({ method: 'HEAD', minorVersion: 1, keepAlive: true }, '200 OK\0Content-Length\x005', 'hello', true);
  assert.equal(undated(head.wire), 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nServer: yimmo-test\r\n\r\n');
  const notModified = respond(GET11, '304 Not Modified', '', true);
  assert.equal(undated(notModified.wire), 'HTTP/1.1 304 Not Modified\r\nServer: yimmo-test\r\n\r\n');
  const chunked = respond(GET11, '200 OK', 'abc', false);
  assert.equal(undated(chunked.wire), 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nServer: yimmo-test\r\n\r\n3\r\nabc\r\n');
  const old = respond(GET10, '200 OK', 'abc', false);
  assert.equal(undated(old.wire), 'HTTP/1.1 200 OK\r\nServer: yimmo-test\r\nConnection: close\r\n\r\nabc');
  assert.equal(old.writer.keepAlive, false);
  const oldKept = respond(GET10, '200 OK', 'abc', true);
  assert.equal(undated(oldKept.wire), 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nServer: yimmo-test\r\nConnection: keep-alive\r\n\r\nabc');
});

test('a close asked by the application or by the connection is said in the head', () => {
  const app = respond(GET11, '200 OK\0Connection\0close', 'x', true);
  assert.equal(undated(app.wire), 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nServer: yimmo-test\r\nConnection: close\r\n\r\nx');
  assert.equal(app.writer.keepAlive, false);
  const ours = respond(GET11, '200 OK', 'x', true, true);
  assert.match(ours.wire, /\r\nConnection: close\r\n\r\nx$/);
  assert.equal(ours.writer.keepAlive, false);
});

test('an unusable head writes nothing and returns why', () => {
  const r = respond(GET11, '200 OK\0Content-Length\0five', 'x', true);
  assert.match(r.error ?? '', /invalid Content-Length/);
  assert.equal(r.wire, '');
  assert.equal(r.writer.started, false);
});
