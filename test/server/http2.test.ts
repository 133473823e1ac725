// HTTP/2 (--http2) against real clients: curl --http2-prior-knowledge and
// --http2 (TLS ALPN), nghttp, h2load, node:http2's client, and h2probe.py for
// flow control. Each stream is one WSGI request over the same bridge as
// HTTP/1.1, which keeps its own parser on the same port.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as os from 'node:os';
import * as path from 'node:path';
import { get, makeTlsCert, request, startServer, type RunningServer } from '../support/server';
import { curl, probe, run, H2_ERROR } from '../support/h2-clients';
import { pseudoRandomBytes, sha256 } from './live-helpers';
import { rollingConfig } from '../support/rolling-config';

const DIR = fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-h2-'));
const ACCESS = path.join(DIR, 'access.log');
let server: RunningServer;
let base: string;

before(async () => {
  server = await startServer('h2_app:app', {
    args: ['--http2', '--no-threads', '4', '--send-timeout', '2', '--access-log', ACCESS],
  });
  base = `http://127.0.0.1:${server.port}`;
});
after(async () => {
  await server.stop();
});

function json(text: string): Record<string, unknown> & { headers: Record<string, string> } {
  return JSON.parse(text) as Record<string, unknown> & { headers: Record<string, string> };
}

/** One request on a node:http2 session: status, headers, body. */
function h2request(session: http2.ClientHttp2Session, reqPath: string, method = 'GET', body?: Buffer): Promise<{ status: number; headers: http2.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': reqPath, ':method': method }, { endStream: body === undefined });
    const parts: Buffer[] = [];
    let headers: http2.IncomingHttpHeaders = {};
    req.on('response', (h) => (headers = h));
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => resolve({ status: Number(headers[':status']), headers, body: Buffer.concat(parts) }));
    req.on('error', reject);
    if (body !== undefined) req.end(body);
  });
}

test('curl --http2-prior-knowledge: SERVER_PROTOCOL HTTP/2, :authority as HTTP_HOST, split cookies joined with "; "', async () => {
  const r = await curl(['--http2-prior-knowledge', '-w', '\n%{http_version}', '-H', 'cookie: a=1', '-H', 'cookie: b=2', `${base}/echo?x=1`]);
  assert.equal(r.code, 0, r.stderr);
  const [body, version] = r.stdout.split('\n');
  assert.equal(version, '2');
  const seen = json(body ?? '');
  assert.equal(seen['protocol'], 'HTTP/2');
  assert.equal(seen['query'], 'x=1');
  assert.equal(seen['scheme'], 'http');
  assert.equal(seen['file_wrapper'], true);
  assert.equal(seen.headers['HTTP_HOST'], `127.0.0.1:${server.port}`);
  assert.equal(seen['server_port'], String(server.port));
  assert.equal(seen.headers['HTTP_COOKIE'], 'a=1; b=2');
});

test('HTTP/1.1 on the same port keeps its own parser (a malformed request still gets 400)', async () => {
  const r = await curl(['--http1.1', '-w', '\n%{http_version}', `${base}/echo`]);
  const [body, version] = r.stdout.split('\n');
  assert.equal(version, '1.1');
  assert.equal(json(body ?? '')['protocol'], 'HTTP/1.1');
  const bad = await request(server.port, 'GET /echo HTTP/1.1\r\nHost: a\r\nBad Name: x\r\n\r\n');
  assert.equal(bad.status, 400);
  // A request that only begins like the preface is HTTP/1.1's to judge.
  const pri = await request(server.port, 'PRI / HTTP/1.1\r\nHost: a\r\n\r\n');
  assert.equal(pri.status, 404);
  const ok = await request(server.port, get('/echo'));
  assert.equal(ok.status, 200);
});

test('an upload of 1 MB with Expect: 100-continue reaches the app whole', async () => {
  const file = path.join(DIR, 'upload.bin');
  const data = pseudoRandomBytes(1_000_000);
  fs.writeFileSync(file, data);
  const r = await curl(['--http2-prior-knowledge', '-H', 'expect: 100-continue', '--data-binary', `@${file}`, `${base}/upload`]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { size: data.length, sha256: sha256(data) });
});

test('Expect: 100-continue: a 100 HEADERS only when the app reads wsgi.input; an app that answers first sends none', async () => {
  const reads = await probe(server.port, 'expect', '/upload');
  const statuses = reads.frames.filter((f) => f.type === 'HEADERS').map((f) => f.status);
  assert.deepEqual(statuses, ['100', '200'], JSON.stringify(reads));
  assert.equal(reads.body1 > 0, true);
  const ignores = await probe(server.port, 'expect', '/sleep?s=0.2');
  assert.deepEqual(ignores.frames.filter((f) => f.type === 'HEADERS').map((f) => f.status), ['200'], JSON.stringify(ignores));
  assert.equal(ignores.alive, true);
});

test('a request body without content-length is read to END_STREAM (no CONTENT_LENGTH in the environ)', async () => {
  const session = http2.connect(base);
  try {
    const r = await h2request(session, '/echo', 'POST', Buffer.from('no length here'));
    assert.equal(r.status, 200);
    const seen = json(r.body.toString());
    assert.equal(seen['body'], 'no length here');
    assert.equal(seen.headers['CONTENT_LENGTH'], undefined);
  } finally {
    session.close();
  }
});

test('a streamed response arrives whole and in order, ended by END_STREAM', async () => {
  const r = await curl(['--http2-prior-knowledge', '-D', '-', `${base}/stream?n=20`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^HTTP\/2 200/);
  assert.doesNotMatch(r.stdout, /content-length|transfer-encoding/i);
  assert.ok(r.stdout.endsWith(Array.from({ length: 20 }, (_, i) => `chunk${i};`).join('')));
});

test('hop-by-hop fields from the app are dropped; repeated Set-Cookie fields stay separate', async () => {
  const hop = await curl(['--http2-prior-knowledge', '-D', '-', `${base}/hop`]);
  assert.equal(hop.code, 0, hop.stderr);
  assert.match(hop.stdout, /x-kept: yes/);
  assert.doesNotMatch(hop.stdout, /^(connection|keep-alive|transfer-encoding|upgrade):/im);
  assert.ok(hop.stdout.endsWith('hop'));
  const cookies = await curl(['--http2-prior-knowledge', '-D', '-', `${base}/cookies`]);
  assert.match(cookies.stdout, /set-cookie: a=1\r\nset-cookie: b=2/);
});

test('a response short of its Content-Length ends with RST_STREAM, not END_STREAM (curl sees a stream error)', async () => {
  const r = await curl(['--http2-prior-knowledge', `${base}/short`]);
  assert.equal(r.code, 92, `curl exit ${r.code}: ${r.stderr}`); // CURLE_HTTP2_STREAM
});

test('wsgi.file_wrapper sends the file over the stream', async () => {
  const r = await curl(['--http2-prior-knowledge', `${base}/file`]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, fs.readFileSync(path.join(__dirname, '..', '..', '..', 'test', 'apps', 'h2_app.py'), 'latin1'));
});

test('a whole 2 MiB body (a direct write on plain HTTP/1.1) crosses the bridge intact on HTTP/2', async () => {
  const r = await run('curl', ['-sS', '--http2-prior-knowledge', '-o', path.join(DIR, 'whole.bin'), '-w', '%{http_version} %{size_download}', `${base}/whole?kb=2048`]);
  assert.equal(r.stdout, `2 ${2048 * 1024}`, r.stderr);
  assert.ok(fs.readFileSync(path.join(DIR, 'whole.bin')).equals(Buffer.concat(Array.from({ length: 2048 * 4 }, () => Buffer.from(Array.from({ length: 256 }, (_, i) => i))))));
  // The same body over HTTP/1.1 from the same server and host (where it is offered as a direct write).
  const h1 = await run('curl', ['-sS', '--http1.1', '-o', '/dev/null', '-w', '%{size_download}', `${base}/whole?kb=2048`]);
  assert.equal(h1.stdout, String(2048 * 1024));
});

test('nghttp runs 20 concurrent streams on one connection', async () => {
  const urls = Array.from({ length: 20 }, (_, i) => `${base}/stream?n=${i + 1}`);
  const r = await run('nghttp', ['-n', '-s', '-m', '1', ...urls]);
  assert.equal(r.code, 0, r.stderr);
  // -s prints one line per completed stream, ending with its path.
  const lines = r.stdout.split('\n').filter((l) => /\s\/stream\?n=\d+$/.test(l));
  assert.equal(lines.length, 20, r.stdout);
});

test('h2load: 200 requests over 2 connections x 10 streams all succeed', async () => {
  const r = await run('h2load', ['-n', '200', '-c', '2', '-m', '10', `${base}/echo`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /requests: 200 total, 200 started, 200 done, 200 succeeded, 0 failed, 0 errored/);
  assert.match(r.stdout, /status codes: 200 2xx/);
});

test('a host crash answers 502 on its stream only; the same connection is then served by the new host', async () => {
  const session = http2.connect(base);
  try {
    const crashed = await h2request(session, '/crash');
    assert.equal(crashed.status, 502);
    const next = await h2request(session, '/echo');
    assert.equal(next.status, 200);
    assert.equal(json(next.body.toString())['protocol'], 'HTTP/2');
  } finally {
    session.close();
  }
});

test('a slow reader (curl at 1 MB/s) gets every byte of a 3 MiB generator', async () => {
  const r = await run('curl', ['-sS', '--http2-prior-knowledge', '--limit-rate', '1M', '-o', '/dev/null', '-w', '%{size_download} %{http_version}', `${base}/download?mb=3`], 60_000);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, `${3 * 1024 * 1024} 2`);
});

test('a client that never opens its window holds the stream until the send timeout, then gets RST_STREAM; the server stays up', async () => {
  const started = Date.now();
  const r = await probe(server.port, 'no-window', '/download?mb=8', '20');
  const ms = Date.now() - started;
  const reset = r.frames.find((f) => f.type === 'RSTSTREAM' && f.stream === 1);
  assert.ok(reset !== undefined, JSON.stringify(r));
  assert.equal(reset.error, H2_ERROR.CANCEL);
  assert.ok(ms >= 2000, `reset after ${ms} ms, before the 2 s send timeout`);
  assert.ok(r.body1 === 0, 'no DATA can pass a zero window');
  assert.equal((await curl(['--http2-prior-knowledge', `${base}/echo`])).code, 0);
});

test('a request body the app does not read is held back by flow control: the server lets in about two windows, not 4 MiB', async () => {
  const r = await probe(server.port, 'upload-unread', '/sleep?s=3');
  // 64 KiB of initial stream window, plus the 64 KiB the bridge's request window takes for the host.
  assert.ok((r.sent ?? 0) <= 256 * 1024, `the server let in ${r.sent} bytes of an unread body`);
  assert.ok((r.sent ?? 0) >= 65535, `the server did not even take its initial window (${r.sent})`);
});

test('the access log says HTTP/2.0 for h2 streams', async () => {
  await curl(['--http2-prior-knowledge', `${base}/echo?logged=1`]);
  const deadline = Date.now() + 5000;
  let text = '';
  while (Date.now() < deadline) {
    text = fs.readFileSync(ACCESS, 'utf8');
    if (text.includes('/echo?logged=1')) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.match(text, /"GET \/echo\?logged=1 HTTP\/2\.0" 200 \d+/);
});

test('%(D)s of an h2 stream is to the microsecond: a ~3.5 ms stream is not a whole number of milliseconds', async () => {
  const file = path.join(DIR, 'durations.log');
  const fine = await startServer('h2_app:app', { args: ['--http2', '--access-log', file, '--access-log-format', '%(U)s %(D)s %(H)s'] });
  const session = http2.connect(`http://127.0.0.1:${fine.port}`);
  try {
    for (let i = 0; i < 3; i++) assert.equal((await h2request(session, '/sleep?s=0.0035')).status, 200);
    const deadline = Date.now() + 5000;
    let lines: string[] = [];
    while (Date.now() < deadline) {
      lines = (fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '').split('\n').filter((l) => l !== '');
      if (lines.length >= 3) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const ds = lines.map((line) => {
      const m = /^\/sleep (\d+) HTTP\/2\.0$/.exec(line);
      assert.ok(m !== null, line);
      return Number(m[1]);
    });
    assert.equal(ds.length, 3, lines.join('\n'));
    assert.ok(ds.every((d) => d >= 3500), `the app slept 3.5 ms: ${ds.join(' ')}`);
    // From a millisecond clock every D would be a multiple of 1000.
    assert.ok(ds.some((d) => d % 1000 !== 0), `D values: ${ds.join(' ')}`);
  } finally {
    session.close();
    await fine.stop();
  }
});

test('without --http2 a preface is HTTP/1.1 to us (off by default)', async () => {
  const plain = await startServer('h2_app:app');
  try {
    const r = await curl(['--http2-prior-knowledge', `http://127.0.0.1:${plain.port}/echo`]);
    assert.notEqual(r.code, 0);
    const h1 = await request(plain.port, get('/echo'));
    assert.equal(h1.status, 200);
  } finally {
    await plain.stop();
  }
});

test('with TLS, ALPN offers h2 and http/1.1: curl --http2 gets HTTP/2 with an https scheme, --http1.1 HTTP/1.1', async () => {
  const { cert, key } = makeTlsCert();
  const tlsServer = await startServer('h2_app:app', { args: ['--http2', '--tls-cert', cert, '--tls-key', key] });
  try {
    const url = `https://127.0.0.1:${tlsServer.port}/echo`;
    const h2 = await curl(['-k', '--http2', '-w', '\n%{http_version}', url]);
    const [body, version] = h2.stdout.split('\n');
    assert.equal(version, '2', h2.stderr);
    assert.equal(json(body ?? '')['scheme'], 'https');
    assert.equal(json(body ?? '')['protocol'], 'HTTP/2');
    const h1 = await curl(['-k', '--http1.1', '-w', '\n%{http_version}', url]);
    assert.equal(h1.stdout.split('\n')[1], '1.1');
    const nghttp = await run('nghttp', ['-n', '-s', url]);
    assert.equal(nghttp.code, 0, nghttp.stderr);
  } finally {
    await tlsServer.stop();
  }
});

test('graceful stop: GOAWAY, the open stream finishes, the server exits 0', async () => {
  const s = await startServer('h2_app:app', { args: ['--http2'] });
  const session = http2.connect(`http://127.0.0.1:${s.port}`);
  let goaway = false;
  session.on('goaway', () => (goaway = true));
  session.on('error', () => undefined);
  try {
    const pending = h2request(session, '/sleep?s=1.5');
    await new Promise((r) => setTimeout(r, 500));
    const exited = s.stop('SIGTERM');
    const r = await pending;
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'slept');
    assert.equal(goaway, true);
    assert.equal(await exited, 0);
  } finally {
    session.destroy();
    await s.stop('SIGKILL');
  }
});

test('a request timeout answers 504 on the stream', async () => {
  const s = await startServer('h2_app:app', { args: ['--http2', '--request-timeout', '1'] });
  try {
    const r = await curl(['--http2-prior-knowledge', '-w', '%{http_code}', '-o', '/dev/null', `http://127.0.0.1:${s.port}/sleep?s=4`]);
    assert.equal(r.stdout, '504');
  } finally {
    await s.stop();
  }
});

test('metrics count HTTP/2 streams: requests by method and status, open sessions, bytes, a send timeout', async () => {
  const { fetchText, metricsPort, parseExposition, valueOf } = await import('../support/metrics');
  const s = await startServer('h2_app:app', { args: ['--http2', '--send-timeout', '1', '--metrics-bind', '127.0.0.1:0'] });
  try {
    const admin = metricsPort(s.output());
    const url = `http://127.0.0.1:${s.port}`;
    const nghttp = await run('nghttp', ['-n', `${url}/echo`, `${url}/echo?2`, `${url}/missing`]);
    assert.equal(nghttp.code, 0, nghttp.stderr);
    const post = await curl(['--http2-prior-knowledge', '-d', 'x=1', `${url}/echo`]);
    assert.equal(post.code, 0);
    await probe(s.port, 'no-window', '/download?mb=4', '10'); // reset after the 1 s send timeout
    const deadline = Date.now() + 10_000;
    let samples = await parseExposition((await fetchText(admin, '/metrics')).body);
    while (valueOf(samples, 'yimmo_connections_open') !== 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      samples = await parseExposition((await fetchText(admin, '/metrics')).body);
    }
    assert.equal(valueOf(samples, 'yimmo_requests_total', { method: 'GET', status: '2xx' }), 3); // two echoes and the reset download's 200
    assert.equal(valueOf(samples, 'yimmo_requests_total', { method: 'GET', status: '4xx' }), 1);
    assert.equal(valueOf(samples, 'yimmo_requests_total', { method: 'POST', status: '2xx' }), 1);
    assert.equal(valueOf(samples, 'yimmo_timeouts_total', { kind: 'send' }), 1);
    assert.equal(valueOf(samples, 'yimmo_connections_accepted_total'), 3);
    assert.ok(valueOf(samples, 'yimmo_sent_bytes_total') > 0);
    assert.ok(valueOf(samples, 'yimmo_received_bytes_total') > 0);
  } finally {
    await s.stop();
  }
});

test('a request body that stalls gets 408 after the body timeout (and the app an incomplete body)', async () => {
  const s = await startServer('h2_app:app', { args: ['--http2', '--body-timeout', '1'] });
  try {
    const started = Date.now();
    const r = await probe(s.port, 'stall-body', '15');
    const ms = Date.now() - started;
    assert.equal(r.frames[0]?.status, '408', JSON.stringify(r));
    assert.ok(ms >= 1000, `408 after ${ms} ms, before the 1 s body timeout`);
  } finally {
    await s.stop();
  }
});

test('a session with no stream for --idle-timeout gets GOAWAY; a reload (SIGHUP) sends GOAWAY after the open stream', async () => {
  const roll = rollingConfig(); // a worker setting changes: the reload retires the worker (a code-only one would swap its host)
  const s = await startServer('h2_app:app', { args: [...roll.args, '--http2', '--idle-timeout', '1'] });
  try {
    const url = `http://127.0.0.1:${s.port}`;
    const idle = http2.connect(url);
    idle.on('error', () => undefined);
    const started = Date.now();
    assert.equal((await h2request(idle, '/echo')).status, 200);
    await new Promise<void>((resolve) => idle.once('goaway', () => resolve()));
    assert.ok(Date.now() - started >= 1000, 'GOAWAY before the idle timeout');
    idle.destroy();

    const busy = http2.connect(url);
    busy.on('error', () => undefined);
    let goaway = false;
    busy.on('goaway', () => (goaway = true));
    const pending = h2request(busy, '/sleep?s=1.5');
    await new Promise((r) => setTimeout(r, 300));
    roll.bump();
    s.child.kill('SIGHUP');
    const r = await pending;
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'slept');
    const deadline = Date.now() + 10_000;
    while (!goaway && Date.now() < deadline) await new Promise((res) => setTimeout(res, 100));
    assert.equal(goaway, true, 'the retiring worker sent no GOAWAY');
    busy.destroy();
    // The successor serves.
    const after = await curl(['--http2-prior-knowledge', '-w', '%{http_code}', '-o', '/dev/null', `${url}/echo`]);
    assert.equal(after.stdout, '200');
  } finally {
    await s.stop();
  }
});
