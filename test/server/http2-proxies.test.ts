// yimmo-wsgi --http2 behind a real HAProxy (Debian's) that talks h2c to it
// (examples/deploy/haproxy-h2.cfg.template), and with two workers accepting
// on the shared socket: HTTP/2 works wherever HTTP/1.1 does.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../support/server';
import { freePort, renderTemplate, requireBinary, startProxy, tempDir } from '../support/reverse-proxy';
import { curl, run } from '../support/h2-clients';

let server: RunningServer;

before(async () => {
  server = await startServer('h2_app:app', { args: ['--http2', '--no-threads', '4'] });
});
after(async () => {
  await server.stop();
});

test('HAProxy with proto h2: HTTP/1.1 clients, h2c streams to us; X-Forwarded-For arrives; 40 parallel requests all succeed', async () => {
  const binary = requireBinary('haproxy', 'haproxy');
  const dir = tempDir('yimmo-haproxy-h2-');
  const port = await freePort();
  const cfg = renderTemplate('haproxy-h2.cfg.template', dir, { LISTEN_PORT: String(port), UPSTREAM_PORT: String(server.port), SEND_PROXY: '' });
  const haproxy = await startProxy(binary, ['-db', '-f', cfg], port);
  try {
    const r = await curl(['--http1.1', `http://127.0.0.1:${port}/echo`]);
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(r.stdout) as { protocol: string; headers: Record<string, string> };
    assert.equal(seen.protocol, 'HTTP/2');
    assert.equal(seen.headers['HTTP_X_FORWARDED_FOR'], '127.0.0.1');
    const urls = Array.from({ length: 40 }, (_, i) => `http://127.0.0.1:${port}/sleep?s=0.0${i % 10}`);
    const load = await curl(['--http1.1', '--parallel', '--parallel-max', '20', '-o', '/dev/null', '-w', '%{http_code}\n', ...urls.flatMap((u) => [u, '-o', '/dev/null'])]);
    assert.equal(load.code, 0, load.stderr);
    assert.deepEqual(load.stdout.trim().split('\n'), Array.from({ length: 40 }, () => '200'));
  } finally {
    await haproxy.stop();
  }
});

test('HAProxy with proto h2 and send-proxy-v2: the PROXY header, then h2c; REMOTE_ADDR is the client\'s', async () => {
  const binary = requireBinary('haproxy', 'haproxy');
  const s = await startServer('h2_app:app', { args: ['--http2', '--proxy-protocol', '--proxy-allow-ips', '127.0.0.1'] });
  const dir = tempDir('yimmo-haproxy-h2-pp-');
  const port = await freePort();
  const cfg = renderTemplate('haproxy-h2.cfg.template', dir, { LISTEN_PORT: String(port), UPSTREAM_PORT: String(s.port), SEND_PROXY: 'send-proxy-v2' });
  const haproxy = await startProxy(binary, ['-db', '-f', cfg], port);
  try {
    const r = await curl(['--http1.1', '--interface', '127.0.0.2', `http://127.0.0.1:${port}/echo`]);
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(r.stdout) as { protocol: string; remote_addr: string };
    assert.equal(seen.protocol, 'HTTP/2');
    assert.equal(seen.remote_addr, '127.0.0.2');
  } finally {
    await haproxy.stop();
    await s.stop();
  }
});

test('two workers on the shared socket both serve h2c and HTTP/1.1', async () => {
  const s = await startServer('h2_app:app', { args: ['--http2', '-p', '2'] });
  try {
    const h2 = await run('h2load', ['-n', '100', '-c', '4', '-m', '5', `http://127.0.0.1:${s.port}/echo`]);
    assert.match(h2.stdout, /requests: 100 total, 100 started, 100 done, 100 succeeded/, h2.stdout + h2.stderr);
    const h1 = await curl(['--http1.1', `http://127.0.0.1:${s.port}/echo`]);
    assert.equal((JSON.parse(h1.stdout) as { protocol: string }).protocol, 'HTTP/1.1');
  } finally {
    await s.stop();
  }
});
