// A minimal single-file Django project (test/apps/django_app.py) served over
// real sockets: pages, a csrf-exempt form, an upload, StreamingHttpResponse,
// keep-alive and pipelining.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Client, get, request, startServer, type RunningServer } from '../support/server';
import { multipart, post, pseudoRandomBytes, sha256 } from './live-helpers';

let server: RunningServer;

before(async () => {
  server = await startServer('django_app:application', { args: ['--no-threads', '4'] });
});
after(async () => {
  await server.stop();
});

test('a GET page is rendered by Django with the Content-Length CommonMiddleware set', async () => {
  const r = await request(server.port, get('/'));
  assert.equal(r.status, 200);
  assert.equal(r.body.toString(), '<h1>Hello from Django</h1>');
  assert.equal(r.header('content-length'), String(r.body.length));
  assert.match(r.header('content-type') ?? '', /^text\/html/);
});

test('a urlencoded POST form reaches a csrf-exempt Django view and is echoed back', async () => {
  const form = 'name=J%C3%BCrgen+M%C3%BCller&tag=a&tag=b&sym=%26%3D%2B';
  const r = await request(server.port, post('/form', Buffer.from(form), 'application/x-www-form-urlencoded'));
  assert.equal(r.status, 200, r.body.toString());
  assert.deepEqual(JSON.parse(r.body.toString()), { form: { name: ['Jürgen Müller'], tag: ['a', 'b'], sym: ['&=+'] }, method: 'POST' });
});

test('a POST without a CSRF token to a protected Django view is refused with 403', async () => {
  const r = await request(server.port, post('/protected', Buffer.from('a=1'), 'application/x-www-form-urlencoded'));
  assert.equal(r.status, 403);
});

test('a 1 MiB multipart file upload reaches Django intact (SHA-256 matches)', async () => {
  const data = pseudoRandomBytes(1024 * 1024 + 7, 3);
  const { body, contentType } = multipart({ note: 'django upload' }, [{ field: 'file', filename: 'blob.bin', contentType: 'application/octet-stream', data }]);
  const r = await request(server.port, post('/upload', body, contentType), { timeoutMs: 15_000 });
  assert.equal(r.status, 200, r.body.toString().slice(0, 500));
  assert.deepEqual(JSON.parse(r.body.toString()), { filename: 'blob.bin', size: data.length, sha256: sha256(data), fields: { note: 'django upload' } });
});

test('a StreamingHttpResponse arrives chunked, piece by piece', async () => {
  const client = await Client.connect(server.port);
  const arrivals: number[] = [];
  const started = Date.now();
  client.socket.on('data', () => arrivals.push(Date.now() - started));
  client.write(get('/stream?n=4&delay=0.2'));
  const r = await client.response();
  const total = Date.now() - started;
  client.close();
  assert.equal(r.status, 200);
  assert.equal(r.header('transfer-encoding'), 'chunked');
  assert.equal(r.body.toString(), [0, 1, 2, 3].map((i) => `chunk ${i} of 4\n`).join(''));
  assert.ok(arrivals.length >= 3, `only ${arrivals.length} socket reads: the stream was buffered`);
  assert.ok((arrivals[0] ?? total) < total - 400, `first bytes at ${arrivals[0]} ms of ${total} ms`);
});

test('keep-alive: 10 requests on one connection, each framed by Django\'s Content-Length', async () => {
  const client = await Client.connect(server.port);
  try {
    for (let i = 0; i < 10; i++) {
      client.write(get(`/hello/d${i}`));
      const r = await client.response();
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), `hello d${i}`);
      assert.equal(r.header('content-length'), String(r.body.length));
      assert.equal(r.header('transfer-encoding'), undefined);
    }
  } finally {
    client.close();
  }
});

test('three pipelined requests (GET, form POST, GET) are answered in order', async () => {
  const client = await Client.connect(server.port);
  try {
    const form = 'x=pipelined';
    client.write(
      get('/hello/first') +
        `POST /form HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${form.length}\r\n\r\n${form}` +
        get('/hello/third'),
    );
    assert.equal((await client.response()).body.toString(), 'hello first');
    assert.deepEqual(JSON.parse((await client.response()).body.toString()), { form: { x: ['pipelined'] }, method: 'POST' });
    assert.equal((await client.response()).body.toString(), 'hello third');
  } finally {
    client.close();
  }
});

test('an unknown route gets Django\'s 404', async () => {
  const r = await request(server.port, get('/no/such/page'));
  assert.equal(r.status, 404);
});
