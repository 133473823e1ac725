// A real Flask application (test/apps/flask_app.py) served over real sockets:
// pages, forms, multipart uploads, streaming, keep-alive, pipelining, errors.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Client, get, request, startServer, type RunningServer } from '../support/server';
import { multipart, post, pseudoRandomBytes, sha256 } from './live-helpers';

let server: RunningServer;

before(async () => {
  server = await startServer('flask_app:app', { args: ['--no-threads', '4'] });
});
after(async () => {
  await server.stop();
});

test('a GET page is rendered by Flask and framed by its Content-Length', async () => {
  const r = await request(server.port, get('/'));
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), '<h1>Hello from Flask</h1>');
  assert.equal(r.header('content-length'), String(r.body.length));
  assert.match(r.header('content-type') ?? '', /^text\/html/);
  assert.equal(r.header('transfer-encoding'), undefined);
});

test('a urlencoded POST form is parsed by Flask and echoed back', async () => {
  const form = 'name=J%C3%BCrgen+M%C3%BCller&tag=a&tag=b&empty=&sym=%26%3D%2B';
  const r = await request(server.port, post('/form', Buffer.from(form), 'application/x-www-form-urlencoded'));
  assert.equal(r.status, 200);
  const json = JSON.parse(r.body.toString()) as { form: Record<string, string[]>; content_type: string };
  assert.deepEqual(json.form, { name: ['Jürgen Müller'], tag: ['a', 'b'], empty: [''], sym: ['&=+'] });
  assert.equal(json.content_type, 'application/x-www-form-urlencoded');
});

test('a 1 MiB multipart file upload reaches Flask intact (SHA-256 matches)', async () => {
  const data = pseudoRandomBytes(1024 * 1024 + 123, 1);
  const { body, contentType } = multipart({ note: 'first upload' }, [{ field: 'file', filename: 'blob.bin', contentType: 'application/octet-stream', data }]);
  const r = await request(server.port, post('/upload', body, contentType), { timeoutMs: 15_000 });
  assert.equal(r.status, 200, r.body.toString());
  const json = JSON.parse(r.body.toString()) as Record<string, unknown>;
  assert.deepEqual(json, { filename: 'blob.bin', size: data.length, sha256: sha256(data), fields: { note: 'first upload' }, chunked: false });
});

test('the same upload sent with Transfer-Encoding: chunked reaches Flask intact', async () => {
  // No CONTENT_LENGTH: Werkzeug reads to the end because wsgi.input_terminated is set.
  const data = pseudoRandomBytes(1024 * 1024, 2);
  const { body, contentType } = multipart({ note: 'chunked' }, [{ field: 'file', filename: 'c.bin', contentType: 'application/octet-stream', data }]);
  const r = await request(server.port, post('/upload', body, contentType, { chunked: true }), { timeoutMs: 15_000 });
  assert.equal(r.status, 200, r.body.toString());
  const json = JSON.parse(r.body.toString()) as Record<string, unknown>;
  assert.deepEqual(json, { filename: 'c.bin', size: data.length, sha256: sha256(data), fields: { note: 'chunked' }, chunked: true });
});

test('a streamed Flask response arrives chunked, piece by piece, with the request context intact', async () => {
  const client = await Client.connect(server.port);
  const arrivals: number[] = [];
  const started = Date.now();
  client.socket.on('data', () => arrivals.push(Date.now() - started));
  client.write(get('/stream?n=5&delay=0.2&tag=ctx-ok'));
  const r = await client.response();
  const total = Date.now() - started;
  client.close();
  assert.equal(r.status, 200);
  assert.equal(r.header('transfer-encoding'), 'chunked');
  assert.equal(r.header('content-length'), undefined);
  assert.equal(r.body.toString(), [0, 1, 2, 3, 4].map((i) => `chunk ${i} of 5 ctx-ok\n`).join(''));
  // The first chunk is on the wire long before the generator finishes.
  assert.ok(arrivals.length >= 3, `only ${arrivals.length} socket reads: the stream was buffered`);
  assert.ok((arrivals[0] ?? total) < total - 500, `first bytes at ${arrivals[0]} ms of ${total} ms`);
});

test('keep-alive: 10 requests on one connection, each framed by the Content-Length Flask set', async () => {
  const client = await Client.connect(server.port);
  try {
    for (let i = 0; i < 10; i++) {
      client.write(get(`/hello/n${i}`));
      const r = await client.response();
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), `hello n${i}`);
      assert.equal(r.header('content-length'), String(r.body.length));
      assert.equal(r.header('transfer-encoding'), undefined);
      assert.notEqual(r.header('connection'), 'close');
    }
    assert.ok(!client.socket.destroyed);
  } finally {
    client.close();
  }
});

test('three pipelined requests in one write are answered in order', async () => {
  const client = await Client.connect(server.port);
  try {
    const form = 'x=pipelined';
    client.write(
      get('/hello/first') +
        `POST /form HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n${form}` +
        get('/hello/third'),
    );
    const first = await client.response();
    const second = await client.response();
    const third = await client.response();
    assert.equal(first.body.toString(), 'hello first');
    assert.deepEqual((JSON.parse(second.body.toString()) as { form: unknown }).form, { x: ['pipelined'] });
    assert.equal(third.body.toString(), 'hello third');
  } finally {
    client.close();
  }
});

test('an unknown route gets Flask\'s 404 and the connection stays usable', async () => {
  const client = await Client.connect(server.port);
  try {
    client.write(get('/no/such/page') + get('/hello/after404'));
    const r = await client.response();
    assert.equal(r.status, 404);
    assert.match(r.body.toString(), /Not Found/);
    assert.equal((await client.response()).body.toString(), 'hello after404');
  } finally {
    client.close();
  }
});

test('an exception in a view gives a 500 without the traceback, which goes to the log instead', async () => {
  const r = await request(server.port, get('/boom'));
  assert.equal(r.status, 500);
  const body = r.body.toString();
  assert.ok(!body.includes('flask-view-secret'), 'exception text leaked: ' + body);
  assert.ok(!body.includes('Traceback'), 'traceback leaked: ' + body);
  assert.ok(!body.includes('.py'), 'source path leaked: ' + body);
  // Flask logs through wsgi.errors, which reaches the server's log.
  const deadline = Date.now() + 3000;
  while (!server.output().includes('flask-view-secret') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.match(server.output(), /Traceback[\s\S]*RuntimeError: flask-view-secret/);
  assert.equal((await request(server.port, get('/'))).status, 200);
});
