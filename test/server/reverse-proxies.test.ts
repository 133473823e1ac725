// The real nginx and HAProxy from Debian in front of yimmo-wsgi, with the
// configs of examples/deploy/: TLS at nginx and a Django view that knows it
// is secure with no Django setting; HAProxy's send-proxy, send-proxy-v2 and
// send-proxy-v2-ssl giving the app the client's address. Clients connect
// from 127.0.0.2/127.0.0.3 so their address differs from the proxy's
// (127.0.0.1, the only trusted one). A missing nginx or haproxy fails.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import * as path from 'node:path';
import { makeTlsCert, startServer, type RunningServer } from '../support/server';
import { freePort, renderTemplate, requireBinary, startProxy, tempDir, type RunningProxy } from '../support/reverse-proxy';

interface Answer {
  readonly status: number;
  readonly json: Record<string, unknown>;
  readonly clientPort: number;
}

/** One GET through a proxy, from `localAddress`; https when `secure`. */
function fetchJson(secure: boolean, port: number, urlPath: string, localAddress: string, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options = { host: '127.0.0.1', port, path: urlPath, localAddress, agent: false as const, headers, timeout: 10_000 };
    const req = secure ? https.request({ ...options, rejectUnauthorized: false }) : http.request(options);
    let clientPort = 0;
    req.on('socket', (s: net.Socket) => s.on('connect', () => (clientPort = s.localPort ?? 0)));
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(body) as Record<string, unknown>, clientPort });
        } catch {
          reject(new Error(`status ${res.statusCode}: not JSON: ${body.slice(0, 300)}`));
        }
      });
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('nginx (TLS) -> yimmo-wsgi -> Django', () => {
  let server: RunningServer;
  let nginx: RunningProxy;
  let port: number;
  before(async () => {
    const binary = requireBinary('nginx', 'nginx');
    server = await startServer('django_app:application', { args: ['--remote-addr-from-forwarded'] });
    const dir = tempDir('yimmo-nginx-');
    const { cert, key } = makeTlsCert();
    port = await freePort();
    const conf = renderTemplate('nginx.conf.template', dir, { DIR: dir, LISTEN_PORT: String(port), UPSTREAM_PORT: String(server.port), CERT: cert, KEY: key });
    nginx = await startProxy(binary, ['-p', dir, '-c', conf], port);
  });
  after(async () => {
    await nginx?.stop();
    await server?.stop();
  });

  test('a Django view sees is_secure() and an https:// absolute URI with no Django setting', async () => {
    const r = await fetchJson(true, port, '/whoami?x=1', '127.0.0.3');
    assert.equal(r.status, 200);
    assert.equal(r.json['is_secure'], true);
    assert.equal(r.json['absolute_uri'], `https://127.0.0.1:${port}/whoami?x=1`);
  });

  test('REMOTE_ADDR is the client\'s, and an X-Forwarded-For the client forged is not believed', async () => {
    const r = await fetchJson(true, port, '/whoami', '127.0.0.3', { 'X-Forwarded-For': '6.6.6.6', 'X-Forwarded-Proto': 'http' });
    assert.equal(r.json['remote_addr'], '127.0.0.3');
    assert.equal(r.json['is_secure'], true);
  });
});

describe('HAProxy -> yimmo-wsgi with the PROXY protocol', () => {
  let server: RunningServer;
  let binary: string;
  let pem: string;
  before(async () => {
    binary = requireBinary('haproxy', 'haproxy');
    // INFO: the access log shows HAProxy's health checks.
    server = await startServer('peer_app:app', { args: ['--proxy-protocol', '--proxy-allow-ips', '127.0.0.1', '--log-level', 'INFO'] });
    const { cert, key } = makeTlsCert();
    // HAProxy wants the certificate and its key in one PEM file.
    pem = path.join(path.dirname(cert), 'combined.pem');
    fs.writeFileSync(pem, fs.readFileSync(cert, 'utf8') + fs.readFileSync(key, 'utf8'));
  });
  after(async () => void (await server?.stop()));

  async function through(sendProxy: string, tls: boolean, whileUp: () => Promise<void> = async () => undefined): Promise<Answer> {
    const dir = tempDir('yimmo-haproxy-');
    const port = await freePort();
    const cfg = renderTemplate('haproxy.cfg.template', dir, {
      LISTEN_PORT: String(port), UPSTREAM_PORT: String(server.port), SEND_PROXY: sendProxy, BIND_TLS: tls ? `ssl crt ${pem}` : '',
    });
    const haproxy = await startProxy(binary, ['-db', '-f', cfg], port);
    try {
      const answer = await fetchJson(tls, port, '/who', '127.0.0.2');
      await whileUp();
      return answer;
    } finally {
      await haproxy.stop();
    }
  }

  test('send-proxy (v1): REMOTE_ADDR and REMOTE_PORT are the client\'s', async () => {
    const r = await through('send-proxy', false);
    assert.equal(r.json['REMOTE_ADDR'], '127.0.0.2');
    assert.equal(r.json['REMOTE_PORT'], String(r.clientPort));
    assert.equal(r.json['wsgi.url_scheme'], 'http');
  });

  test('send-proxy-v2: REMOTE_ADDR and REMOTE_PORT are the client\'s; health checks (LOCAL) are served', async () => {
    const checks = (): number => (server.output().match(/INFO 127\.0\.0\.1 - - \[[^\]]*\] "GET \/health HTTP\/1\.0" 200/g) ?? []).length;
    const before = checks();
    const r = await through('send-proxy-v2', false, async () => {
      // The template checks every second; allow a loaded machine several.
      const deadline = Date.now() + 8000;
      while (checks() === before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      assert.ok(checks() > before, 'no HAProxy health check reached the app');
    });
    assert.equal(r.json['REMOTE_ADDR'], '127.0.0.2');
    assert.equal(r.json['REMOTE_PORT'], String(r.clientPort));
  });

  test('send-proxy-v2-ssl with TLS at HAProxy: the app sees https', async () => {
    const r = await through('send-proxy-v2-ssl', true);
    assert.equal(r.json['REMOTE_ADDR'], '127.0.0.2');
    assert.equal(r.json['wsgi.url_scheme'], 'https');
  });

  test('a direct client with a forged PROXY header is refused; without one it is served as itself', async () => {
    const socket = net.connect({ port: server.port, host: '127.0.0.1', localAddress: '127.0.0.2' });
    let bytes = 0;
    socket.on('data', (d: Buffer) => (bytes += d.length));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    socket.write('PROXY TCP4 1.2.3.4 127.0.0.1 1111 80\r\nGET /who HTTP/1.1\r\nHost: x\r\n\r\n');
    const closed = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 5000);
      socket.once('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
    socket.destroy();
    assert.ok(closed, 'the forged header was not refused');
    assert.equal(bytes, 0);
    const direct = await fetchJson(false, server.port, '/who', '127.0.0.2');
    assert.equal(direct.json['REMOTE_ADDR'], '127.0.0.2');
  });
});
