// Behaviour of the request parser's API (src/http/parser.ts) beyond the
// grammar cases of the corpus: pull-based pipelining, buffering, state,
// limits and the sticky error.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { RequestParser } from '../../src/http/parser';
import { DEFAULT_LIMITS, type ParseEvent, type ParserLimits } from '../../src/http/request-head';
import { parseAll } from './corpus';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');
const GET = 'GET /a HTTP/1.1\r\nHost: x\r\n\r\n';

function drain(p: RequestParser): ParseEvent[] {
  const out: ParseEvent[] = [];
  for (let ev = p.next(); ev !== null; ev = p.next()) {
    out.push(ev);
    if (ev.kind === 'error') break;
  }
  return out;
}

function errorOf(raw: string | Buffer, limits?: ParserLimits): { status: number; code: string } | null {
  const r = parseAll(typeof raw === 'string' ? b(raw) : raw, [], limits);
  return r.error === null ? null : { status: r.error.status, code: r.error.code };
}

const limits = (over: Partial<ParserLimits>): ParserLimits => ({ ...DEFAULT_LIMITS, ...over });

test('a request without a body yields head then end with no further bytes', () => {
  const p = new RequestParser();
  p.push(b(GET));
  const events = drain(p);
  assert.deepEqual(events.map((e) => e.kind), ['head', 'end']);
  assert.equal(p.next(), null);
  assert.equal(p.state, 'idle');
});

test('pipelined requests wait in the buffer until next() asks for them', () => {
  const p = new RequestParser();
  const raw = b(GET + 'POST /b HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc' + GET);
  p.push(raw);
  assert.equal(p.buffered, raw.length);
  assert.equal(p.next()?.kind, 'head');
  assert.equal(p.next()?.kind, 'end');
  assert.equal(p.buffered, raw.length - GET.length);
  const head = p.next();
  assert.ok(head?.kind === 'head' && head.head.path === '/b');
  const body = p.next();
  assert.ok(body?.kind === 'body' && body.data.toString() === 'abc');
  assert.equal(p.next()?.kind, 'end');
  assert.deepEqual(drain(p).map((e) => e.kind), ['head', 'end']);
  assert.equal(p.buffered, 0);
});

test('body events of a request that arrived whole are views of the pushed bytes, not copies', () => {
  const p = new RequestParser();
  const raw = b('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello');
  p.push(raw);
  const body = drain(p).find((e) => e.kind === 'body');
  assert.ok(body?.kind === 'body');
  assert.equal(body.data.buffer, raw.buffer);
  assert.equal(body.data.byteOffset, raw.byteOffset + raw.length - 5);
});

test('pushed chunks are never modified', () => {
  const chunks = [b('POST / HTTP/1.1\r\nHo'), b('st: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r'), b('\nhello\r\n0\r\n\r\n')];
  const copies = chunks.map((c) => Buffer.from(c));
  const p = new RequestParser();
  const events: ParseEvent[] = [];
  for (const c of chunks) {
    p.push(c);
    events.push(...drain(p));
  }
  assert.deepEqual(events.map((e) => e.kind), ['head', 'body', 'end']);
  assert.deepEqual(chunks, copies);
});

test('body slices already handed out keep their bytes while later lines are reassembled', () => {
  const p = new RequestParser();
  p.push(b('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n1'));
  const first = drain(p).filter((e) => e.kind === 'body');
  for (const piece of ['0\r', '\n0123456789abcdef\r\n', '0\r\n\r\n']) p.push(b(piece));
  const rest = drain(p);
  assert.ok(first[0]?.kind === 'body' && first[0].data.toString() === 'abc');
  const later = rest.filter((e) => e.kind === 'body').map((e) => (e.kind === 'body' ? e.data.toString() : ''));
  assert.equal(later.join(''), '0123456789abcdef');
});

test('state is idle before a message, head while the head is partial, body until its end', () => {
  const p = new RequestParser();
  assert.equal(p.state, 'idle');
  p.push(b('\r\n\r\n'));
  assert.equal(p.state, 'idle', 'leading CRLFs do not start a message');
  p.push(b('POST / HTTP/1.1\r\nHost: x\r\n'));
  assert.equal(p.state, 'head', 'bytes of a head are buffered even before next()');
  assert.equal(p.next(), null);
  assert.equal(p.state, 'head');
  p.push(b('Content-Length: 2\r\n\r\na'));
  assert.equal(p.next()?.kind, 'head');
  assert.equal(p.state, 'body');
  assert.equal(p.next()?.kind, 'body');
  assert.equal(p.next(), null);
  p.push(b('b'));
  assert.equal(p.next()?.kind, 'body');
  assert.equal(p.state, 'body');
  assert.equal(p.next()?.kind, 'end');
  assert.equal(p.state, 'idle');
});

test('after an error every next() returns the same error, whatever is pushed', () => {
  const p = new RequestParser();
  p.push(b('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: +1\r\n\r\n'));
  const first = p.next();
  assert.ok(first?.kind === 'error' && first.error.status === 400 && first.error.code === 'YW_HTTP_BAD_CONTENT_LENGTH');
  p.push(b(GET));
  assert.equal(p.next(), first);
  assert.equal(p.next(), first);
});

test('an empty push changes nothing', () => {
  const p = new RequestParser();
  p.push(Buffer.alloc(0));
  assert.equal(p.buffered, 0);
  assert.equal(p.next(), null);
});

test('a too long request-line gets 414 before its end arrives', () => {
  const p = new RequestParser(limits({ maxRequestLine: 100 }));
  p.push(b('GET /' + 'a'.repeat(96)));
  assert.equal(p.next(), null, '101 bytes could still be a 100-byte line and its CR');
  p.push(b('a'));
  const ev = p.next();
  assert.ok(ev?.kind === 'error' && ev.error.status === 414);
});

test('a request-line of exactly maxRequestLine bytes is accepted', () => {
  const line = 'GET /' + 'a'.repeat(100 - 'GET / HTTP/1.1'.length) + ' HTTP/1.1';
  assert.equal(line.length, 100);
  assert.equal(errorOf(line + '\r\nHost: x\r\n\r\n', limits({ maxRequestLine: 100 })), null);
  assert.deepEqual(errorOf(line.replace('GET /', 'GET /a') + '\r\nHost: x\r\n\r\n', limits({ maxRequestLine: 100 })), {
    status: 414,
    code: 'YW_HTTP_URI_TOO_LONG',
  });
});

test('a header section over maxHeaderBytes gets 431 without waiting for the line end', () => {
  const p = new RequestParser(limits({ maxHeaderBytes: 1000 }));
  p.push(b('GET / HTTP/1.1\r\nHost: x\r\nX-Big: ' + 'v'.repeat(1000)));
  const ev = p.next();
  assert.ok(ev?.kind === 'error' && ev.error.status === 431 && ev.error.code === 'YW_HTTP_HEADERS_TOO_LARGE');
});

test('maxHeaders field lines are accepted and one more gets 431', () => {
  const fields = (n: number): string => Array.from({ length: n }, (_, i) => `X-${i}: v\r\n`).join('');
  assert.equal(errorOf('GET / HTTP/1.1\r\nHost: x\r\n' + fields(9) + '\r\n', limits({ maxHeaders: 10 })), null);
  assert.deepEqual(errorOf('GET / HTTP/1.1\r\nHost: x\r\n' + fields(10) + '\r\n', limits({ maxHeaders: 10 })), {
    status: 431,
    code: 'YW_HTTP_TOO_MANY_HEADERS',
  });
});

test('trailers have their own field budget and never reach the head', () => {
  const r = parseAll(b('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: 1\r\n\r\n'), []);
  const m = r.messages[0];
  assert.ok(m !== undefined);
  assert.deepEqual(m.trailers, ['x-t', '1']);
  assert.deepEqual(m.head.headers, ['host', 'x', 'transfer-encoding', 'chunked']);
});

test('Content-Length over maxBodyBytes gets 413 at the head', () => {
  assert.deepEqual(errorOf('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\n', limits({ maxBodyBytes: 10 })), {
    status: 413,
    code: 'YW_HTTP_BODY_TOO_LARGE',
  });
  assert.equal(errorOf('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789', limits({ maxBodyBytes: 10 })), null);
});

test('a chunked body gets 413 as soon as its chunk sizes add up past maxBodyBytes', () => {
  const r = parseAll(b('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n5\r\n'), [], limits({ maxBodyBytes: 10 }));
  assert.equal(Buffer.concat(r.messages[0]?.body ?? []).toString(), 'abcdef');
  assert.equal(r.error?.status, 413);
});

test('chunk extensions up to maxChunkExtension bytes are accepted, longer ones get 400', () => {
  const ext = (n: number): string => ';a=' + 'x'.repeat(n - 3);
  const req = (e: string): string => `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1${e}\r\nz\r\n0\r\n\r\n`;
  assert.equal(errorOf(req(ext(64)), limits({ maxChunkExtension: 64 })), null);
  assert.deepEqual(errorOf(req(ext(65)), limits({ maxChunkExtension: 64 })), { status: 400, code: 'YW_HTTP_CHUNK_EXTENSION_TOO_LONG' });
});

test('an endless chunk-size line is refused without waiting for its end', () => {
  const p = new RequestParser(limits({ maxChunkExtension: 64 }));
  p.push(b('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;a='));
  assert.equal(p.next()?.kind, 'head');
  let ev: ParseEvent | null = null;
  for (let i = 0; i < 200 && ev === null; i++) {
    p.push(b('x'));
    ev = p.next();
  }
  assert.ok(ev?.kind === 'error' && ev.error.code === 'YW_HTTP_CHUNK_EXTENSION_TOO_LONG');
});

test('a TLS client hello is refused at its first byte', () => {
  const p = new RequestParser();
  p.push(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5]));
  const ev = p.next();
  assert.ok(ev?.kind === 'error' && ev.error.status === 400);
});

test('a body never takes bytes beyond its Content-Length', () => {
  const p = new RequestParser();
  p.push(b('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabcGET'));
  const events = drain(p);
  assert.deepEqual(events.map((e) => e.kind), ['head', 'body', 'end']);
  assert.equal(p.buffered, 3);
  assert.equal(p.state, 'head');
});

test('a head dripped one byte at a time is parsed in linear time', () => {
  // One 60 kB line: rescanning it or recopying it on every byte would be ~1.8e9 steps.
  const raw = b('GET / HTTP/1.1\r\nHost: x\r\nX-Long: ' + 'v'.repeat(60000) + '\r\n\r\n');
  const t0 = process.hrtime.bigint();
  const r = parseAll(raw, Array.from({ length: raw.length - 1 }, (_, i) => i + 1));
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  assert.equal(r.error, null);
  assert.equal(r.messages[0]?.head.headers[3]?.length, 60000);
  assert.ok(ms < 1500, `${raw.length} bytes took ${ms.toFixed(0)} ms`);
});

test('a chunk CRLF split across pushes is accepted', () => {
  const raw = b('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n');
  const cr = raw.indexOf('abc') + 3;
  const r = parseAll(raw, [cr, cr + 1]);
  assert.equal(r.error, null);
  assert.equal(Buffer.concat(r.messages[0]?.body ?? []).toString(), 'abc');
});

test('the default limits apply when none are given', () => {
  assert.equal(errorOf('GET /' + 'a'.repeat(DEFAULT_LIMITS.maxRequestLine) + ' HTTP/1.1\r\nHost: x\r\n\r\n')?.status, 414);
});
