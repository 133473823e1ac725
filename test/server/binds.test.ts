// --bind: Unix sockets (spoken to with raw AF_UNIX sockets: environ,
// keep-alive, pipelining, a direct write), several addresses at once, TLS on
// each, stale and live socket files, systemd socket activation through the
// real systemd-socket-activate, and the start-up errors.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as tls from 'node:tls';
import { Client, connectRetry, get, makeTlsCert, runCli, startServer, type RunningServer } from '../support/server';
import { freePort, requireBinary, tempDir } from '../support/reverse-proxy';
import { children } from '../support/processes';
import { repoPath } from '../support/repo';

/** `text` as a literal inside a RegExp. */
function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function json(body: Buffer): Record<string, unknown> {
  return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
}

async function unixRequest(socketPath: string, raw: string): Promise<{ status: number; body: Buffer; close: string | undefined }> {
  const client = await Client.connectUnix(socketPath);
  try {
    client.write(raw);
    const r = await client.response();
    return { status: r.status, body: r.body, close: r.header('connection') };
  } finally {
    client.close();
  }
}

describe('a Unix socket and a TCP address served together', () => {
  let server: RunningServer;
  let dir: string;
  let sock: string;
  before(async () => {
    dir = tempDir('yimmo-unix-');
    sock = path.join(dir, 'app.sock');
    server = await startServer('binds_app:app', { binds: [`unix:${sock}`, '127.0.0.1:0'], args: ['--unix-socket-mode', '660', '-t', '2'] });
  });
  after(async () => {
    await server.stop();
  });

  test('the banner lists every address', () => {
    assert.match(server.output(), new RegExp(`on unix:${sock.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} \\(http\\), http://127\\.0\\.0\\.1:\\d+ \\|`));
    assert.ok(server.port > 0);
  });

  test('the socket file has --unix-socket-mode', () => {
    const st = fs.statSync(sock);
    assert.ok(st.isSocket());
    assert.equal(st.mode & 0o777, 0o660);
  });

  test('a Unix-socket peer has no address: REMOTE_ADDR is empty, REMOTE_PORT absent; SERVER_NAME/PORT from Host', async () => {
    const r = await unixRequest(sock, 'GET /peer HTTP/1.1\r\nHost: example.test:8080\r\n\r\n');
    assert.equal(r.status, 200);
    const env = json(r.body);
    assert.equal(env['REMOTE_ADDR'], '');
    assert.equal(env['REMOTE_PORT'], null);
    assert.equal(env['SERVER_NAME'], 'example.test');
    assert.equal(env['SERVER_PORT'], '8080');
  });

  test('without a Host header SERVER_NAME is the socket path and SERVER_PORT the scheme\'s (as gunicorn)', async () => {
    const r = await unixRequest(sock, 'GET /peer HTTP/1.0\r\n\r\n');
    const env = json(r.body);
    assert.equal(env['SERVER_NAME'], sock);
    assert.equal(env['SERVER_PORT'], '80');
  });

  test('the TCP address next to it still reports its peer and its own address', async () => {
    const client = await Client.connect(server.port);
    try {
      client.write('GET /peer HTTP/1.0\r\n\r\n');
      const env = json((await client.response()).body);
      assert.equal(env['REMOTE_ADDR'], '127.0.0.1');
      assert.equal(env['REMOTE_PORT'], String(client.socket.localPort));
      assert.equal(env['SERVER_NAME'], '127.0.0.1');
      assert.equal(env['SERVER_PORT'], String(server.port));
    } finally {
      client.close();
    }
  });

  test('a Unix-socket peer is trusted with X-Forwarded-Proto, like loopback', async () => {
    const r = await unixRequest(sock, 'GET /peer HTTP/1.1\r\nHost: a\r\nX-Forwarded-Proto: https\r\n\r\n');
    assert.equal(json(r.body)['wsgi.url_scheme'], 'https');
  });

  test('keep-alive and pipelining over AF_UNIX: three requests in one write, three responses in order on one connection', async () => {
    const client = await Client.connectUnix(sock);
    try {
      client.write(get('/echo?n=1') + get('/echo?n=2') + get('/echo?n=3'));
      for (const n of [1, 2, 3]) {
        const r = await client.response();
        assert.equal(r.status, 200);
        assert.match(r.body.toString(), new RegExp(`n=${n}`));
        assert.equal(r.header('connection'), undefined);
      }
      // And the connection is still usable afterwards.
      client.write(get('/echo?n=4'));
      assert.match((await client.response()).body.toString(), /n=4/);
    } finally {
      client.close();
    }
  });

  test('a 1 MiB response (a direct write by the Python host) arrives whole over the Unix socket', async () => {
    const client = await Client.connectUnix(sock);
    try {
      client.write(get('/big?kb=1024'));
      const r = await client.response({ timeoutMs: 20_000 });
      assert.equal(r.status, 200);
      assert.equal(r.body.length, 1024 * 1024);
      client.write(get('/echo?n=after'));
      assert.match((await client.response()).body.toString(), /n=after/);
    } finally {
      client.close();
    }
  });

  test('a second server on the same socket path is refused while this one lives: one line, exit 4', async () => {
    const r = await runCli(['--python', '/usr/bin/python3', '--bind', `unix:${sock}`, 'binds_app:app']);
    assert.equal(r.code, 4, r.stderr);
    const lines = r.stderr.trim().split('\n').filter((l) => l.includes('YW_BIND'));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', /cannot listen on unix:.*app\.sock: EADDRINUSE \(a running server accepts on this socket\)/);
    // Ours still answers.
    assert.equal((await unixRequest(sock, get('/echo?n=still'))).status, 200);
  });

  test('the socket file is removed when the server stops', async () => {
    const extra = tempDir('yimmo-unix-stop-');
    const p = path.join(extra, 's.sock');
    const s = await startServer('binds_app:app', { binds: [`unix:${p}`] });
    assert.ok(fs.statSync(p).isSocket());
    assert.equal(s.port, 0);
    assert.equal(await s.stop(), 0);
    assert.equal(fs.existsSync(p), false);
  });
});

describe('the socket file\'s owner', () => {
  test('with --user the socket belongs to that user (the workers run as it and keep their socket), mode 600 still serves', async () => {
    const dir = tempDir('yimmo-unix-owner-');
    const sock = path.join(dir, 'own.sock');
    const s = await startServer('binds_app:app', { binds: [`unix:${sock}`], args: ['--user', 'nobody', '--unix-socket-mode', '600'] });
    try {
      const st = fs.statSync(sock);
      assert.equal(st.uid, 65534);
      assert.equal(st.gid, 65534); // nobody's primary group, as the workers take it
      assert.equal(st.mode & 0o777, 0o600);
      assert.equal((await unixRequest(sock, get('/echo?as-nobody'))).body.toString(), 'as-nobody');
    } finally {
      await s.stop();
    }
  });
});

describe('socket files left behind', () => {
  test('a stale socket file (nobody accepts on it) is replaced', async () => {
    const dir = tempDir('yimmo-stale-');
    const p = path.join(dir, 'stale.sock');
    // A socket file nobody listens on: bound, then the process "dies" without unlinking.
    const { execFileSync } = await import('node:child_process');
    execFileSync('/usr/bin/python3', ['-c', `import socket; s = socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(p)})`]);
    assert.ok(fs.statSync(p).isSocket());
    const s = await startServer('binds_app:app', { binds: [`unix:${p}`] });
    try {
      assert.equal((await unixRequest(p, get('/echo?n=1'))).status, 200);
    } finally {
      await s.stop();
    }
  });

  test('a path that is not a socket is never removed: one line, exit 4', async () => {
    const dir = tempDir('yimmo-notsock-');
    const p = path.join(dir, 'data.txt');
    fs.writeFileSync(p, 'keep me');
    const r = await runCli(['--python', '/usr/bin/python3', '--bind', `unix:${p}`, 'binds_app:app']);
    assert.equal(r.code, 4, r.stderr);
    assert.match(r.stderr, /YW_BIND: cannot listen on unix:.*data\.txt: EEXIST \(the path exists and is not a socket/);
    assert.equal(fs.readFileSync(p, 'utf8'), 'keep me');
  });

  test('a directory that does not exist is a config error before the app is loaded: exit 2, one line', async () => {
    // The app does not exist either: exit 2 (not 3) shows the check came first.
    const r = await runCli(['--python', '/usr/bin/python3', '--bind', 'unix:/nonexistent-dir/app.sock', 'no_such_module:app']);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /invalid --bind 'unix:\/nonexistent-dir\/app\.sock' \(from command line\): its directory '\/nonexistent-dir' does not exist/);
  });

  test('a directory the server may not create a socket in (permission denied) is a config error before the app loads: exit 2', async () => {
    const setpriv = requireBinary('setpriv', 'util-linux');
    const dir = tempDir('yimmo-denied-'); // root's, mode 755: nobody may not create files in it
    const r = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(setpriv, ['--reuid=65534', '--regid=65534', '--clear-groups', repoPath('bin', 'yimmo-wsgi'), '--python', '/usr/bin/python3',
        '--bind', `unix:${path.join(dir, 'app.sock')}`, 'no_such_module:app'], { cwd: '/', stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });
    assert.equal(r.code, 2, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /invalid --bind 'unix:.*app\.sock' \(from command line\): permission denied: cannot create a socket in/);
  });

  test('a malformed bind is a config error naming the setting: exit 2', async () => {
    for (const bad of ['unix:', '[::1', '127.0.0.1:70000']) {
      const r = await runCli(['--bind', bad, 'binds_app:app']);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^yimmo-wsgi: invalid --bind/);
    }
  });

  test('fd://N that is not an open socket is a config error: exit 2', async () => {
    const r = await runCli(['--python', '/usr/bin/python3', '--bind', 'fd://57', 'binds_app:app']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /invalid --bind 'fd:\/\/57' \(from command line\): descriptor 57 is not open/);
  });

  test('fd://NAME without socket activation is a config error: exit 2', async () => {
    const r = await runCli(['--python', '/usr/bin/python3', '--bind', 'fd://web', 'binds_app:app']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /no inherited socket is named 'web' \(no sockets were passed by systemd/);
  });
});

describe('several workers on a Unix socket', () => {
  test('saturated workers stop and resume accepting on the Unix socket: every request is answered, no descriptor leaks', async (t) => {
    const dir = tempDir('yimmo-unix-balance-');
    const sock = path.join(dir, 'b.sock');
    const s = await startServer('binds_app:app', { binds: [`unix:${sock}`], args: ['-p', '2', '-t', '1', '-l', 'DEBUG'] });
    try {
      const workers = children(s.child.pid ?? 0);
      const fds = (): number[] => workers.map((w) => fs.readdirSync(`/proc/${w}/fd`).length);
      const round = async (): Promise<void> => {
        await Promise.all(Array.from({ length: 6 }, async (_, c) => {
          for (let i = 0; i < 40; i++) {
            const r = await unixRequest(sock, get(`/echo?c${c}-${i}`, 'Connection: close\r\n'));
            assert.equal(r.status, 200);
            assert.equal(r.body.toString(), `c${c}-${i}`);
          }
        }));
      };
      await round();
      const before = fds();
      await round();
      const pauses = (s.output().match(/not accepting/g) ?? []).length;
      const resumes = (s.output().match(/accepting again/g) ?? []).length;
      t.diagnostic(`${pauses} pauses, ${resumes} resumes; descriptors per worker ${before} then ${fds()}`);
      assert.ok(pauses > 0 && resumes > 0, 'the saturated workers never paused and resumed');
      // A paused worker closes its copy and gets a new one: the count must not grow with the pauses.
      fds().forEach((n, i) => assert.ok(n <= (before[i] ?? 0) + 4, `worker ${workers[i]}: ${before[i]} -> ${n} descriptors`));
    } finally {
      await s.stop();
    }
  });

  test('the fallback (no shared handles) deals Unix and TCP connections, each with its own facts', async () => {
    const dir = tempDir('yimmo-unix-dealt-');
    const sock = path.join(dir, 'd.sock');
    const fallback = { NODE_OPTIONS: `--require ${repoPath('dist', 'test', 'support', 'no-shared-handles.js')}` };
    const s = await startServer('binds_app:app', { binds: ['127.0.0.1:0', `unix:${sock}`], args: ['-p', '2', '--unix-socket-mode', '600'], env: fallback });
    try {
      assert.equal(fs.statSync(sock).mode & 0o777, 0o600);
      const overUnix = json((await unixRequest(sock, 'GET /peer HTTP/1.0\r\n\r\n')).body);
      assert.equal(overUnix['REMOTE_ADDR'], '');
      assert.equal(overUnix['SERVER_NAME'], sock);
      const client = await Client.connect(s.port);
      try {
        client.write('GET /peer HTTP/1.0\r\n\r\n');
        const overTcp = json((await client.response()).body);
        assert.equal(overTcp['REMOTE_ADDR'], '127.0.0.1');
        assert.equal(overTcp['SERVER_PORT'], String(s.port));
      } finally {
        client.close();
      }
    } finally {
      await s.stop();
    }
    assert.equal(fs.existsSync(sock), false, 'the fallback removes its socket file too');
  });
});

describe('the PROXY protocol on a Unix socket', () => {
  test('a Unix-socket peer is allowed to send a PROXY header: REMOTE_ADDR is the client it names', async () => {
    const dir = tempDir('yimmo-unix-proxy-');
    const sock = path.join(dir, 'pp.sock');
    const s = await startServer('binds_app:app', { binds: [`unix:${sock}`], args: ['--proxy-protocol'] });
    try {
      const r = await unixRequest(sock, 'PROXY TCP4 192.0.2.7 192.0.2.1 40000 80\r\nGET /peer HTTP/1.1\r\nHost: a\r\n\r\n');
      const env = json(r.body);
      assert.equal(env['REMOTE_ADDR'], '192.0.2.7');
      assert.equal(env['REMOTE_PORT'], '40000');
    } finally {
      await s.stop();
    }
  });
});

describe('TLS on every address', () => {
  test('HTTPS on a Unix socket and on TCP from one --tls-cert', async () => {
    const { cert, key } = makeTlsCert();
    const dir = tempDir('yimmo-unix-tls-');
    const sock = path.join(dir, 'tls.sock');
    const s = await startServer('binds_app:app', { binds: [`unix:${sock}`, '127.0.0.1:0'], args: ['--tls-cert', cert, '--tls-key', key] });
    try {
      assert.match(s.output(), /unix:.*tls\.sock \(https\), https:\/\/127\.0\.0\.1:\d+/);
      for (const connect of [() => tls.connect({ path: sock, rejectUnauthorized: false }), () => tls.connect({ host: '127.0.0.1', port: s.port, rejectUnauthorized: false })]) {
        const body = await new Promise<string>((resolve, reject) => {
          const socket = connect();
          let out = '';
          socket.on('secureConnect', () => socket.write('GET /peer HTTP/1.0\r\nHost: a\r\n\r\n'));
          socket.on('data', (d: Buffer) => (out += d.toString()));
          socket.on('end', () => resolve(out));
          socket.on('error', reject);
        });
        assert.match(body, /^HTTP\/1\.1 200/);
        assert.match(body, /"wsgi\.url_scheme": "https"/);
      }
    } finally {
      await s.stop();
    }
  });
});

describe('systemd socket activation (the real systemd-socket-activate)', () => {
  /**
   * systemd-socket-activate listens, waits for the first connection, then
   * execs the server with LISTEN_FDS/LISTEN_PID (and LISTEN_FDNAMES with
   * --fdname). The first request is sent right away: it waits in the
   * inherited socket's backlog until a worker accepts it.
   */
  async function activated(listen: readonly string[], extra: readonly string[], fdnames?: string): Promise<{ server: Promise<RunningServer>; wrapper: string[] }> {
    const binary = requireBinary('systemd-socket-activate', 'systemd');
    const wrapper = [binary, ...listen.flatMap((l) => ['-l', l]), ...(fdnames === undefined ? [] : [`--fdname=${fdnames}`])];
    const server = startServer('binds_app:app', { wrapper, binds: [], args: extra, timeoutMs: 30_000 });
    return { server, wrapper };
  }

  test('serves every inherited socket (TCP and Unix) when no address is configured, with their names', async () => {
    const port = await freePort();
    const dir = tempDir('yimmo-activate-');
    const sock = path.join(dir, 'act.sock');
    const { server } = await activated([`127.0.0.1:${port}`, sock], ['-p', '2'], 'web:local');
    server.catch(() => undefined);
    // The connection that makes systemd-socket-activate start us.
    const first = await connectRetry(port);
    const client = new Promise<string>((resolve, reject) => {
      let out = '';
      first.on('data', (d: Buffer) => (out += d.toString()));
      first.on('end', () => resolve(out));
      first.on('error', reject);
      first.write('GET /peer HTTP/1.0\r\nHost: a\r\n\r\n');
    });
    const s = await server;
    try {
      assert.match(await client, /^HTTP\/1\.1 200[\s\S]*"REMOTE_ADDR": "127\.0\.0\.1"/);
      assert.match(s.output(), new RegExp(`on http://127\\.0\\.0\\.1:${port} \\(fd://3 \\(web\\)\\), fd://4 \\(local\\) unix:${escape(sock)} \\(http\\) \\| 2 processes`));
      assert.equal(s.port, port);
      const r = await unixRequest(sock, 'GET /peer HTTP/1.1\r\nHost: a\r\n\r\n');
      assert.equal(json(r.body)['REMOTE_ADDR'], '');
      // Without Host, SERVER_NAME is the inherited socket's path, as for one we bound ourselves.
      assert.equal(json((await unixRequest(sock, 'GET /peer HTTP/1.0\r\n\r\n')).body)['SERVER_NAME'], sock);
      // The variables are not passed on to the app.
      const envReply = await unixRequest(sock, get('/environ?LISTEN_FDS'));
      assert.equal(envReply.status, 200);
      assert.equal(envReply.body.toString(), 'None');
    } finally {
      await s.stop();
    }
  });

  test('--bind fd://NAME serves the inherited socket of that name only', async () => {
    const port = await freePort();
    const other = await freePort();
    const { server } = await activated([`127.0.0.1:${other}`, `127.0.0.1:${port}`], ['--bind', 'fd://api'], 'unused:api');
    server.catch(() => undefined);
    // Wake the activator on the socket we will not serve: the server starts anyway.
    const waker = await connectRetry(other);
    const s = await server;
    try {
      waker.destroy();
      assert.match(s.output(), new RegExp(`on http://127\\.0\\.0\\.1:${port} \\(fd://4 \\(api\\)\\) \\|`));
      assert.match(s.output(), /inherited sockets not served \(--bind does not name them\): fd:\/\/3 \(unused\)/);
      const client = await Client.connect(port);
      try {
        client.write(get('/echo?n=api'));
        assert.match((await client.response()).body.toString(), /n=api/);
      } finally {
        client.close();
      }
    } finally {
      await s.stop();
    }
  });

  /** `yimmo-wsgi ARGS --check-config` started by systemd-socket-activate (woken by a connection); its stdout and exit code. */
  async function checkActivated(listen: readonly string[], fdnames: string, args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const binary = requireBinary('systemd-socket-activate', 'systemd');
    const child = spawn(binary, [...listen.flatMap((l) => ['-l', l]), `--fdname=${fdnames}`, repoPath('bin', 'yimmo-wsgi'),
      '--python', '/usr/bin/python3', ...args, '--check-config', 'binds_app:app'], { cwd: repoPath('test', 'apps'), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const tcp = listen.find((l) => l.startsWith('127.0.0.1:')) as string;
    const waker = await connectRetry(Number(tcp.split(':')[1]));
    waker.on('error', () => undefined); // reset when the check exits without accepting
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    try {
      return { code: await exited, stdout, stderr };
    } finally {
      clearTimeout(timer);
      waker.destroy();
    }
  }

  test('--check-config lists the inherited sockets and what they are bound to, without serving them', async () => {
    const port = await freePort();
    const dir = tempDir('yimmo-activate-');
    const sock = path.join(dir, 'check.sock');
    const r = await checkActivated([`127.0.0.1:${port}`, sock], 'web:local', []);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^yimmo-wsgi: configuration OK\n/);
    assert.match(r.stdout, new RegExp(`\nlistening on:\n {2}fd://3 \\(web\\) = 127\\.0\\.0\\.1:${port} +\\(inherited: systemd socket activation, LISTEN_FDS\\)\n` +
      ` {2}fd://4 \\(local\\) = unix:${escape(sock)} +\\(inherited: systemd socket activation, LISTEN_FDS\\)\n$`));
  });

  test('--check-config with --bind fd://NAME: that socket, and a warning for the other; an unknown name is exit 2', async () => {
    const port = await freePort();
    const other = await freePort();
    const r = await checkActivated([`127.0.0.1:${other}`, `127.0.0.1:${port}`], 'unused:api', ['--bind', 'fd://api']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\nwarning: inherited sockets not served \(--bind does not name them\): fd:\/\/3 \(unused\)\n/);
    assert.match(r.stdout, new RegExp(`\nlistening on:\n {2}fd://4 \\(api\\) = 127\\.0\\.0\\.1:${port} +\\(command line, inherited\\)\n$`));
    const bad = await checkActivated([`127.0.0.1:${port}`], 'web', ['--bind', 'fd://nope']);
    assert.equal(bad.code, 2);
    assert.equal(bad.stdout, '');
    // (Before it, systemd-socket-activate's own lines.)
    assert.match(bad.stderr, /\nyimmo-wsgi: invalid --bind 'fd:\/\/nope' \(from command line\): no inherited socket is named 'nope' \(LISTEN_FDNAMES has: web\)\n$/);
  });
});



