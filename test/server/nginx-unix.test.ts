// The real nginx in front of yimmo-wsgi over a Unix socket, with
// examples/deploy/nginx-unix.conf.template as it is: a Flask page, the
// client's address from nginx's X-Forwarded-For (a Unix-socket peer is
// trusted like loopback), static files served by nginx without reaching the
// app, and the socket file given nginx's group with mode 660. A missing
// nginx fails.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { startServer, type RunningServer } from '../support/server';
import { freePort, renderTemplate, requireBinary, startProxy, tempDir, type RunningProxy } from '../support/reverse-proxy';

function fetch(port: number, urlPath: string, localAddress: string): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: urlPath, localAddress, agent: false, timeout: 10_000 });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

describe('nginx -> yimmo-wsgi over a Unix socket -> Flask', () => {
  let server: RunningServer;
  let nginx: RunningProxy;
  let port: number;
  let sock: string;
  before(async () => {
    const binary = requireBinary('nginx', 'nginx');
    const dir = tempDir('yimmo-nginx-unix-');
    sock = path.join(dir, 'app.sock');
    const statics = path.join(dir, 'static');
    fs.mkdirSync(statics, { mode: 0o755 });
    fs.writeFileSync(path.join(statics, 'site.css'), 'body { color: teal }\n');
    fs.chmodSync(path.join(statics, 'site.css'), 0o644);
    // The command line the template's comment shows (the group is nginx's, www-data).
    server = await startServer('flask_app:app', {
      binds: [`unix:${sock}`],
      args: ['--unix-socket-mode', '660', '--group', 'www-data', '--remote-addr-from-forwarded', '-p', '2', '-t', '2'],
    });
    port = await freePort();
    const conf = renderTemplate('nginx-unix.conf.template', dir, { DIR: dir, LISTEN_PORT: String(port), SOCKET: sock, STATIC: statics });
    nginx = await startProxy(binary, ['-p', dir, '-c', conf], port);
  });
  after(async () => {
    await nginx?.stop();
    await server?.stop();
  });

  test('the socket file belongs to nginx\'s group with mode 660', () => {
    const st = fs.statSync(sock);
    assert.equal(st.mode & 0o777, 0o660);
    assert.equal(st.gid, 33); // www-data on Debian
  });

  test('a Flask page is served through nginx', async () => {
    const r = await fetch(port, '/', '127.0.0.2');
    assert.equal(r.status, 200);
    assert.equal(r.body, '<h1>Hello from Flask</h1>');
  });

  test('Flask sees the client\'s address (from X-Forwarded-For) and the URL the client used', async () => {
    const r = await fetch(port, '/whoami?x=1', '127.0.0.3');
    assert.equal(r.status, 200);
    const who = JSON.parse(r.body) as Record<string, unknown>;
    assert.equal(who['remote_addr'], '127.0.0.3');
    assert.equal(who['url'], `http://127.0.0.1:${port}/whoami?x=1`);
    assert.equal(who['is_secure'], false);
  });

  test('static files are served by nginx (alias), never by the app', async () => {
    const r = await fetch(port, '/static/site.css', '127.0.0.2');
    assert.equal(r.status, 200);
    assert.equal(r.body, 'body { color: teal }\n');
    assert.match(String(r.headers['content-type']), /text\/css/);
    assert.doesNotMatch(server.output(), /site\.css/);
  });

  test('many requests over nginx\'s kept-alive Unix connections all succeed', async () => {
    const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => fetch(port, `/hello/n${i}`, '127.0.0.2')));
    answers.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.equal(r.body, `hello n${i}`);
    });
  });
});
