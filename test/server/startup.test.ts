// Starting the server as a user would: the original's examples, and every
// kind of bad start ends with one clear line and a non-zero exit.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { PYTHON, get, makeTlsCert, request, runCli, startServer } from '../support/server';
import { repoPath } from '../support/repo';

function oneLine(text: string): string {
  const lines = text.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${text}`);
  return lines[0] as string;
}

test('the original factory example runs verbatim: hello_factory:create_app("my_config.cfg")', async () => {
  const server = await startServer('hello_factory:create_app("my_config.cfg")', {
    env: { PYTHONPATH: repoPath('examples') },
  });
  try {
    const r = await request(server.port, get('/'));
    assert.equal(r.body.toString(), '<p>Hello, world!</p>');
    assert.match(server.output(), /Load some configuration from: my_config\.cfg/);
  } finally {
    await server.stop();
  }
});

test('MODULE and APP may come from the environment alone', async () => {
  const server = await startServer('', { env: { YIMMO_WSGI_MODULE: 'behaviours', YIMMO_WSGI_APP: 'app' } });
  try {
    assert.equal((await request(server.port, get('/hello'))).status, 200);
  } finally {
    await server.stop();
  }
});

test('a module that does not exist: its traceback, one FATAL line naming it, exit 3, no port bound', async () => {
  const port = await freePort();
  const r = await runCli(['--python', PYTHON, '--port', String(port), 'no_such_module:app']);
  assert.equal(r.code, 3);
  // The traceback shows at the default level; the FATAL line names the module.
  assert.match(r.stderr, /ERROR importing 'no_such_module' failed:\nTraceback \(most recent call last\):\n/);
  assert.match(r.stderr, /ModuleNotFoundError: No module named 'no_such_module'\n/);
  assert.equal(r.stderr.split('\n').filter((l) => /FATAL/.test(l)).length, 1);
  assert.match(r.stderr, /FATAL YW_APP_LOAD: cannot import module 'no_such_module'/);
  assert.ok(await canBind(port), 'the port was bound by a server that could not load its app');
});

test('an expression that is not callable: one line, exit 3', async () => {
  const r = await runCli(['--python', PYTHON, '--port', '0', 'behaviours:STATE']);
  assert.equal(r.code, 3);
  assert.match(oneLine(r.stderr), /not callable/);
});

test('an invalid value: one line naming the setting and its source, exit 2', async () => {
  const r = await runCli(['--python', PYTHON, '-t', '0', 'behaviours:app']);
  assert.equal(r.code, 2);
  assert.match(oneLine(r.stderr), /--no-threads.*command line/);
  const e = await runCli(['--python', PYTHON, 'behaviours:app'], { YIMMO_WSGI_PORT: 'eighty' });
  assert.equal(e.code, 2);
  assert.match(oneLine(e.stderr), /YIMMO_WSGI_PORT/);
});

test('an unknown YAML key: one line naming the key and the file, exit 2', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-')), 'bad.yaml');
  fs.writeFileSync(file, 'wsgi:\n  prot: 8080\n');
  const r = await runCli(['--python', PYTHON, '-c', file, 'behaviours:app']);
  assert.equal(r.code, 2);
  assert.match(oneLine(r.stderr), /wsgi\.prot.*bad\.yaml/);
});

test('a port already in use: one line, exit 4', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const r = await runCli(['--python', PYTHON, '--host', '127.0.0.1', '--port', String(port), 'behaviours:app']);
    assert.equal(r.code, 4);
    assert.match(oneLine(r.stderr), new RegExp(`${port}.*EADDRINUSE`));
  } finally {
    blocker.close();
  }
});

test('--help shows the usage, the environment variables and a config example', async () => {
  const r = await runCli(['--help']);
  assert.equal(r.code, 0);
  for (const word of ['Usage: yimmo-wsgi', '--no-threads', 'YIMMO_SERVER_IDLE_TIMEOUT', 'YIMMO_TLS_CERT_PATH', 'no_proc:']) {
    assert.ok(r.stdout.includes(word), `--help lacks ${word}`);
  }
});

test('TLS from the cert and key paths: wsgi.url_scheme is https', async () => {
  const { cert, key } = makeTlsCert();
  const server = await startServer('behaviours:app', { env: { YIMMO_TLS_CERT_PATH: cert, YIMMO_TLS_KEY_PATH: key } });
  try {
    const tls = await import('node:tls');
    const body = await new Promise<string>((resolve, reject) => {
      const socket = tls.connect({ port: server.port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
        socket.write('GET /environ-dump HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
      });
      let data = '';
      socket.on('data', (d: Buffer) => (data += d.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    assert.match(body, /^HTTP\/1\.1 200/);
    assert.match(body, /"wsgi\.url_scheme": "https"/);
  } finally {
    await server.stop();
  }
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, () => s.close(() => resolve(true)));
  });
}
