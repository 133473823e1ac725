// Trusted proxies over real sockets: X-Forwarded-* and Forwarded from a
// trusted peer change the scheme (and, when asked, the client address);
// from an untrusted peer they reach the app untouched and change nothing;
// --root-path mounts the app. The test client connects from 127.0.0.1, so
// "untrusted" runs use an allow list without it.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { get, request, startServer, type RunningServer } from '../support/server';

type Seen = Record<string, string | null>;
async function seen(port: number, path: string, extra = ''): Promise<Seen> {
  const r = await request(port, get(path, extra));
  assert.equal(r.status, 200, r.body.toString());
  return JSON.parse(r.body.toString()) as Seen;
}

describe('a trusted peer (the default allow list: loopback)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('peer_app:app', { args: ['--remote-addr-from-forwarded'] });
  });
  after(async () => void (await server.stop()));

  test('X-Forwarded-Proto: https makes wsgi.url_scheme https and the default port 443', async () => {
    const env = await seen(server.port, '/', 'X-Forwarded-Proto: https\r\n');
    assert.equal(env['wsgi.url_scheme'], 'https');
    assert.equal(env['SERVER_PORT'], '443');
    assert.equal(env['HTTP_X_FORWARDED_PROTO'], 'https');
  });

  test('X-Forwarded-Ssl: on and Forwarded: proto=https make the scheme https', async () => {
    assert.equal((await seen(server.port, '/', 'X-Forwarded-Ssl: on\r\n'))['wsgi.url_scheme'], 'https');
    assert.equal((await seen(server.port, '/', 'Forwarded: for=192.0.2.60;proto=https\r\n'))['wsgi.url_scheme'], 'https');
  });

  test('REMOTE_ADDR is the rightmost X-Forwarded-For address that is not a trusted proxy', async () => {
    const env = await seen(server.port, '/', 'X-Forwarded-For: 6.6.6.6, 203.0.113.7, 127.0.0.1\r\n');
    assert.equal(env['REMOTE_ADDR'], '203.0.113.7');
    assert.equal(env['REMOTE_PORT'], '0');
    assert.equal(env['HTTP_X_FORWARDED_FOR'], '6.6.6.6, 203.0.113.7, 127.0.0.1');
  });

  test('REMOTE_ADDR and REMOTE_PORT come from Forwarded: for= with a bracketed IPv6 node', async () => {
    const env = await seen(server.port, '/', 'Forwarded: for="[2001:db8:cafe::17]:4711"\r\n');
    assert.equal(env['REMOTE_ADDR'], '2001:db8:cafe::17');
    assert.equal(env['REMOTE_PORT'], '4711');
  });

  test('contradicting claims keep the connection\'s own scheme and address', async () => {
    const env = await seen(server.port, '/', 'X-Forwarded-Proto: https\r\nX-Forwarded-Ssl: off\r\nX-Forwarded-For: 203.0.113.7\r\nForwarded: for=198.51.100.1\r\n');
    assert.equal(env['wsgi.url_scheme'], 'http');
    assert.equal(env['REMOTE_ADDR'], '127.0.0.1');
  });

  test('a field spelled with _ (X_Forwarded_Proto) is dropped, never read as X-Forwarded-Proto', async () => {
    const env = await seen(server.port, '/', 'X_Forwarded_Proto: https\r\nX_Forwarded_For: 203.0.113.66\r\n');
    assert.equal(env['wsgi.url_scheme'], 'http');
    assert.equal(env['HTTP_X_FORWARDED_PROTO'], null);
    assert.equal(env['REMOTE_ADDR'], '127.0.0.1');
  });
});

describe('a trusted peer without --remote-addr-from-forwarded', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('peer_app:app');
  });
  after(async () => void (await server.stop()));

  test('the scheme follows X-Forwarded-Proto but REMOTE_ADDR stays the peer\'s', async () => {
    const env = await seen(server.port, '/', 'X-Forwarded-Proto: https\r\nX-Forwarded-For: 203.0.113.7\r\n');
    assert.equal(env['wsgi.url_scheme'], 'https');
    assert.equal(env['REMOTE_ADDR'], '127.0.0.1');
    assert.equal(env['HTTP_X_FORWARDED_FOR'], '203.0.113.7');
  });
});

describe('an untrusted peer', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('peer_app:app', { args: ['--forwarded-allow-ips', '10.0.0.0/8,fd00::/8', '--remote-addr-from-forwarded'] });
  });
  after(async () => void (await server.stop()));

  test('a spoofed X-Forwarded-Proto, X-Forwarded-For and Forwarded change nothing but reach the app untouched', async () => {
    const env = await seen(server.port, '/', 'X-Forwarded-Proto: https\r\nX-Forwarded-Ssl: on\r\nX-Forwarded-For: 203.0.113.7\r\nForwarded: for=203.0.113.7;proto=https\r\n');
    assert.equal(env['wsgi.url_scheme'], 'http');
    assert.equal(env['SERVER_PORT'], '80');
    assert.equal(env['REMOTE_ADDR'], '127.0.0.1');
    assert.notEqual(env['REMOTE_PORT'], '0');
    assert.equal(env['HTTP_X_FORWARDED_PROTO'], 'https');
    assert.equal(env['HTTP_X_FORWARDED_FOR'], '203.0.113.7');
    assert.equal(env['HTTP_FORWARDED'], 'for=203.0.113.7;proto=https');
  });
});

describe('--root-path', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('peer_app:app', { args: ['--root-path', '/app'] });
  });
  after(async () => void (await server.stop()));

  test('a path under the root path is split into SCRIPT_NAME and PATH_INFO; RAW_URI keeps the whole target', async () => {
    const env = await seen(server.port, '/app/users/%41?x=1');
    assert.equal(env['SCRIPT_NAME'], '/app');
    assert.equal(env['PATH_INFO'], '/users/A');
    assert.equal(env['RAW_URI'], '/app/users/%41?x=1');
  });

  test('the root path itself gives an empty PATH_INFO', async () => {
    const env = await seen(server.port, '/app');
    assert.equal(env['SCRIPT_NAME'], '/app');
    assert.equal(env['PATH_INFO'], '');
  });

  test('a path outside it (or only sharing a prefix) is passed whole', async () => {
    const env = await seen(server.port, '/application/x');
    assert.equal(env['SCRIPT_NAME'], '/app');
    assert.equal(env['PATH_INFO'], '/application/x');
  });
});
