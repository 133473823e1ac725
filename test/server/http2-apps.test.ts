// Flask and Django over HTTP/2 (curl --http2-prior-knowledge): pages, a form,
// a multipart upload checked by SHA-256, a streamed response, the frameworks'
// own 404, and (Django) the absolute URI built from :authority.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startServer, type RunningServer } from '../support/server';
import { curl } from '../support/h2-clients';
import { pseudoRandomBytes, sha256 } from './live-helpers';

const DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-h2-apps-'));
const UPLOAD = path.join(DIR, 'photo.bin');
const DATA = pseudoRandomBytes(3 * 1024 * 1024 + 17);
fs.writeFileSync(UPLOAD, DATA);

let flask: RunningServer;
let django: RunningServer;

before(async () => {
  [flask, django] = await Promise.all([
    startServer('flask_app:app', { args: ['--http2', '--no-threads', '2'] }),
    startServer('django_app:application', { args: ['--http2', '--no-threads', '2'] }),
  ]);
});
after(async () => {
  await Promise.all([flask.stop(), django.stop()]);
});

const h2 = (server: RunningServer, p: string, ...args: string[]) =>
  curl(['--http2-prior-knowledge', '-w', '\n%{http_code} %{http_version}', ...args, `http://127.0.0.1:${server.port}${p}`]);

function split(out: string): { body: string; code: string } {
  const i = out.lastIndexOf('\n');
  return { body: out.slice(0, i), code: out.slice(i + 1) };
}

test('Flask: a page, a path parameter and Flask\'s own 404 over h2', async () => {
  assert.deepEqual(split((await h2(flask, '/')).stdout), { body: '<h1>Hello from Flask</h1>', code: '200 2' });
  assert.deepEqual(split((await h2(flask, '/hello/h2')).stdout), { body: 'hello h2', code: '200 2' });
  assert.equal(split((await h2(flask, '/missing')).stdout).code, '404 2');
});

test('Flask: a form and a 3 MiB multipart upload arrive whole', async () => {
  const form = split((await h2(flask, '/form', '-d', 'a=1&b=%C3%BC')).stdout);
  assert.equal(form.code, '200 2');
  assert.deepEqual(JSON.parse(form.body).form, { a: ['1'], b: ['ü'] });
  const up = split((await h2(flask, '/upload', '-F', `file=@${UPLOAD}`, '-F', 'note=h2')).stdout);
  assert.equal(up.code, '200 2', up.body);
  const answer = JSON.parse(up.body) as { size: number; sha256: string; fields: Record<string, string> };
  assert.equal(answer.size, DATA.length);
  assert.equal(answer.sha256, sha256(DATA));
  assert.deepEqual(answer.fields, { note: 'h2' });
});

test('Flask: a stream_with_context response arrives in order', async () => {
  const r = split((await h2(flask, '/stream?n=4&delay=0.02&tag=t')).stdout);
  assert.equal(r.code, '200 2');
  assert.equal(r.body, [0, 1, 2, 3].map((i) => `chunk ${i} of 4 t\n`).join(''));
});

test('Django: a page, a csrf-exempt form, an upload and a StreamingHttpResponse over h2', async () => {
  assert.deepEqual(split((await h2(django, '/')).stdout), { body: '<h1>Hello from Django</h1>', code: '200 2' });
  const form = split((await h2(django, '/form', '-d', 'tag=a&tag=b')).stdout);
  assert.deepEqual(JSON.parse(form.body), { form: { tag: ['a', 'b'] }, method: 'POST' });
  const up = split((await h2(django, '/upload', '-F', `file=@${UPLOAD}`)).stdout);
  assert.equal(up.code, '200 2', up.body);
  assert.equal((JSON.parse(up.body) as { sha256: string }).sha256, sha256(DATA));
  const stream = split((await h2(django, '/stream?n=3&delay=0.01')).stdout);
  assert.equal(stream.body, 'chunk 0 of 3\nchunk 1 of 3\nchunk 2 of 3\n');
});

test('Django: build_absolute_uri() uses :authority', async () => {
  const who = split((await h2(django, '/whoami')).stdout);
  assert.equal(who.code, '200 2');
  assert.equal((JSON.parse(who.body) as { absolute_uri: string }).absolute_uri, `http://127.0.0.1:${django.port}/whoami`);
});
