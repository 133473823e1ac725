// PEP 3333 applications of every shape get correct HTTP/1.1 responses.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client, get, request, startServer, type RunningServer } from '../support/server';

const STATE = fs.mkdtempSync('/tmp/yimmo-responses-');
let server: RunningServer;

before(async () => {
  server = await startServer('behaviours:app', { args: ['--no-threads', '4'], env: { YIMMO_TEST_STATE: STATE } });
});
after(async () => {
  await server.stop();
});

function closedMarker(token: string, timeoutMs = 5000): Promise<boolean> {
  const file = path.join(STATE, 'closed-' + token);
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve) => {
    const poll = setInterval(() => {
      if (fs.existsSync(file)) resolve(true);
      else if (Date.now() > deadline) resolve(false);
      else return;
      clearInterval(poll);
    }, 20);
  });
}

test('a list-returning hello world gets a Content-Length response', async () => {
  const r = await request(server.port, get('/hello'));
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), 'Hello, World!');
  assert.equal(r.header('content-length'), '13');
  assert.ok(r.header('date'));
  assert.equal(r.header('server'), 'yimmo-wsgi');
});

test('a generator that calls start_response lazily is sent chunked', async () => {
  const r = await request(server.port, get('/generator'));
  assert.equal(r.status, 200);
  assert.equal(r.header('transfer-encoding'), 'chunked');
  assert.equal(r.body.toString(), 'part0;part1;part2;');
});

test('write() twice precedes the returned iterable', async () => {
  const r = await request(server.port, get('/write-twice'));
  assert.equal(r.body.toString(), 'one;two;three');
});

test('start_response with exc_info before the body replaces the status and headers', async () => {
  const r = await request(server.port, get('/exc-info'));
  assert.equal(r.status, 503);
  assert.equal(r.header('x-replaced'), 'yes');
  assert.equal(r.body.toString(), 'replaced');
});

test('an exception before the headers gives a generic 500 and the server keeps serving', async () => {
  const r = await request(server.port, get('/fail-before'));
  assert.equal(r.status, 500);
  assert.ok(!r.body.toString().includes('secret'), 'exception text leaked to the client');
  // The host logs the traceback on its own stderr, which may reach us after the response.
  const deadline = Date.now() + 3000;
  while (!server.output().includes('secret detail') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.ok(server.output().includes('secret detail'), 'traceback missing from the log');
  assert.equal((await request(server.port, get('/hello'))).status, 200);
});

test('an exception after the headers closes the connection without a clean end', async () => {
  const client = await Client.connect(server.port);
  client.write(get('/fail-after', 'Connection: keep-alive\r\n').replace('/fail-after', '/fail-after?fa1'));
  await assert.rejects(client.response({ timeoutMs: 5000 }), /closed/);
  assert.ok(await closedMarker('fa1'), 'close() was not called');
  client.close();
});

test('a client that disconnects mid-response still gets close() called on the iterable', async () => {
  const client = await Client.connect(server.port);
  client.write(get('/slow-stream?gone1'));
  await new Promise((r) => setTimeout(r, 200));
  client.socket.resetAndDestroy();
  assert.ok(await closedMarker('gone1'), 'close() was not called after the client left');
});

test('repeated Set-Cookie headers stay separate and in order', async () => {
  const r = await request(server.port, get('/cookies'));
  assert.deepEqual(r.headers.filter(([n]) => n === 'set-cookie').map(([, v]) => v), ['a=1', 'b=2']);
});

test('204 carries no body and no Content-Length, and the connection stays usable', async () => {
  const client = await Client.connect(server.port);
  client.write(get('/no-content') + get('/hello'));
  const first = await client.response();
  assert.equal(first.status, 204);
  assert.equal(first.header('content-length'), undefined);
  const second = await client.response();
  assert.equal(second.body.toString(), 'Hello, World!');
  client.close();
});

test('HEAD gets the headers without the body', async () => {
  const client = await Client.connect(server.port);
  client.write('HEAD /generator HTTP/1.1\r\nHost: x\r\n\r\n' + get('/hello'));
  const head = await client.response({ head: true });
  assert.equal(head.status, 200);
  const next = await client.response();
  assert.equal(next.body.toString(), 'Hello, World!', 'HEAD leaked a body into the next response');
  client.close();
});

test('three pipelined requests are answered in order on one connection', async () => {
  const client = await Client.connect(server.port);
  client.write(get('/pid') + 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' + get('/hello'));
  assert.equal((await client.response()).status, 200);
  assert.equal((await client.response()).body.toString(), 'hello');
  assert.equal((await client.response()).body.toString(), 'Hello, World!');
  client.close();
});

test('keep-alive serves many requests on one connection, HTTP/1.0 closes by default', async () => {
  const client = await Client.connect(server.port);
  for (let i = 0; i < 20; i++) {
    client.write(get('/hello'));
    assert.equal((await client.response()).status, 200);
  }
  client.close();
  const old = await Client.connect(server.port);
  old.write('GET /hello HTTP/1.0\r\n\r\n');
  const r = await old.response();
  assert.equal(r.header('connection'), 'close');
  assert.ok(await old.closed());
});

test('a chunked upload reaches wsgi.input intact', async () => {
  const r = await request(server.port, 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n');
  assert.equal(r.body.toString(), 'hello world');
});

test('Expect: 100-continue is answered when the app reads the body', async () => {
  const client = await Client.connect(server.port);
  client.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nExpect: 100-continue\r\n\r\n');
  const got = await new Promise<string>((resolve) => client.socket.once('data', (d: Buffer) => resolve(d.toString('latin1'))));
  assert.match(got, /^HTTP\/1\.1 100 Continue\r\n\r\n/);
  client.write('ping');
  // The 100 was consumed by the listener above; the final response follows.
  const r = await client.response();
  assert.equal(r.body.toString(), 'ping');
  client.close();
});

test('wsgi.file_wrapper streams the file from Node, complete and correct', async () => {
  const r = await request(server.port, get('/file?f1'));
  assert.equal(r.status, 200);
  assert.equal(r.body.length, 256 * 4096);
  assert.ok(r.body.equals(Buffer.alloc(256 * 4096).map((_, i) => i % 256)));
});

test('the environ has PEP 3333 keys with latin-1 decoded PATH_INFO', async () => {
  const r = await request(server.port, get('/environ-dump/caf%C3%A9%20x?q=%20&b=2', 'X-Two: a\r\nX-Two: b\r\nX_Spoof: no\r\n'));
  const env = JSON.parse(r.body.toString()) as Record<string, unknown>;
  assert.equal(env['PATH_INFO'], '/environ-dump/caf\u00c3\u00a9 x');
  assert.equal(env['QUERY_STRING'], 'q=%20&b=2');
  assert.equal(env['SCRIPT_NAME'], '');
  assert.equal(env['SERVER_PROTOCOL'], 'HTTP/1.1');
  assert.equal(env['REMOTE_ADDR'], '127.0.0.1');
  assert.equal(env['HTTP_X_TWO'], 'a, b');
  assert.equal(env['HTTP_X_SPOOF'], undefined);
  assert.equal(env['wsgi.url_scheme'], 'http');
  assert.equal(env['wsgi.multithread'], true);
  assert.equal(env['wsgi.multiprocess'], false);
});
