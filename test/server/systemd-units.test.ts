// examples/deploy/yimmo-wsgi.socket.template and yimmo-wsgi.service.template,
// run as systemd would run them, with the real systemd-socket-activate: the
// socket unit's ListenStream= sockets and FileDescriptorName=, the service's
// ExecStart= (with its WorkingDirectory=, Environment= and User=/Group=, the
// latter through setpriv), then a Flask page on both sockets, ExecReload's
// SIGHUP and a stop within TimeoutStopSec. `systemd-analyze verify` checks
// the unit files' syntax. A missing systemd-socket-activate fails.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Client, connectRetry, get, PYTHON, startServer, type RunningServer } from '../support/server';
import { freePort, renderTemplate, requireBinary, tempDir } from '../support/reverse-proxy';
import { repoPath } from '../support/repo';

type Unit = Map<string, string[]>;

/** `[Section]` + `Key=Value` lines -> "Section.Key" -> values (a key may repeat). */
function parseUnit(file: string): Unit {
  const unit: Unit = new Map();
  let section = '';
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const header = /^\[(\w+)\]$/.exec(line);
    if (header !== null) {
      section = header[1] ?? '';
      continue;
    }
    const eq = line.indexOf('=');
    assert.ok(eq > 0, `not a Key=Value line: ${line}`);
    const key = `${section}.${line.slice(0, eq)}`;
    unit.set(key, [...(unit.get(key) ?? []), line.slice(eq + 1)]);
  }
  return unit;
}

function one(unit: Unit, key: string): string {
  const values = unit.get(key);
  assert.equal(values?.length, 1, `${key} once`);
  return values?.[0] ?? '';
}

function seconds(text: string): number {
  const m = /^(\d+)(s)?$/.exec(text);
  assert.ok(m !== null, `seconds: ${text}`);
  return Number(m[1]);
}


describe('the systemd socket and service units', () => {
  let dir: string;
  let socketUnit: Unit;
  let serviceUnit: Unit;
  let sock: string;
  let port: number;
  let server: RunningServer;
  let firstAnswer: Promise<string>;

  before(async () => {
    const activate = requireBinary('systemd-socket-activate', 'systemd');
    const setpriv = requireBinary('setpriv', 'util-linux');
    dir = tempDir('yimmo-systemd-');
    sock = path.join(dir, 'app.sock');
    port = await freePort();
    const socketFile = renderTemplate('yimmo-wsgi.socket.template', dir, { SOCKET: sock, TCP: `127.0.0.1:${port}` });
    const serviceFile = renderTemplate('yimmo-wsgi.service.template', dir, {
      APP_DIR: repoPath('test', 'apps'), YIMMO: `${repoPath('bin', 'yimmo-wsgi')} --python ${PYTHON}`, APP: 'flask_app:app',
    });
    // systemd wants the unit names it knows them by.
    fs.renameSync(socketFile, path.join(dir, 'yimmo-wsgi.socket'));
    fs.renameSync(serviceFile, path.join(dir, 'yimmo-wsgi.service'));
    socketUnit = parseUnit(path.join(dir, 'yimmo-wsgi.socket'));
    serviceUnit = parseUnit(path.join(dir, 'yimmo-wsgi.service'));

    const listen = socketUnit.get('Socket.ListenStream') ?? [];
    const name = one(socketUnit, 'Socket.FileDescriptorName');
    const [program, ...args] = one(serviceUnit, 'Service.ExecStart').split(/\s+/) as [string, ...string[]];
    const ids = (key: string): string => execFileSync('id', [key === 'User' ? '-u' : '-g', one(serviceUnit, 'Service.User')], { encoding: 'utf8' }).trim();
    const environment = serviceUnit.get('Service.Environment') ?? [];
    // systemd-socket-activate passes only -E variables on, as systemd passes only the unit's.
    const wrapper = [
      activate, ...listen.flatMap((l) => ['-l', l]), `--fdname=${listen.map(() => name).join(':')}`,
      ...environment.flatMap((e) => ['-E', e]), '-E', 'PATH',
      setpriv, `--reuid=${ids('User')}`, `--regid=${ids('Group')}`, '--clear-groups',
    ];
    const started = startServer('', { command: [program, ...args], binds: [], wrapper, cwd: one(serviceUnit, 'Service.WorkingDirectory'), timeoutMs: 30_000 });
    started.catch(() => undefined);
    // The first connection makes systemd-socket-activate start the service; it waits in the backlog meanwhile.
    const first = await connectRetry(port);
    firstAnswer = new Promise<string>((resolve, reject) => {
      let out = '';
      first.on('data', (d: Buffer) => (out += d.toString()));
      first.on('end', () => resolve(out));
      first.on('error', reject);
      first.write('GET /whoami HTTP/1.0\r\nHost: example.test\r\n\r\n');
    });
    server = await started;
  });
  after(async () => void (await server?.stop()));

  test('systemd-analyze verify accepts both unit files', () => {
    const analyze = requireBinary('systemd-analyze', 'systemd');
    // Outside a booted systemd it cannot resolve dependencies on other units; syntax errors still show.
    let out = '';
    try {
      out = execFileSync(analyze, ['verify', path.join(dir, 'yimmo-wsgi.socket'), path.join(dir, 'yimmo-wsgi.service')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      out = String((err as { stderr?: string }).stderr ?? '');
    }
    assert.doesNotMatch(out, /Unknown key|Unknown section|Failed to parse|Invalid/i, out);
  });

  test('the service serves the TCP socket of the socket unit (the first connection waited for it)', async () => {
    const answer = await firstAnswer;
    assert.match(answer, /^HTTP\/1\.1 200/);
    assert.match(answer, /"remote_addr":"127\.0\.0\.1"/);
    // Descriptors in ListenStream= order: the Unix socket is 3, the TCP one 4.
    assert.match(server.output(), new RegExp(`on fd://3 \\(web\\) unix:${sock.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(http\\), http://127\\.0\\.0\\.1:${port} \\(fd://4 \\(web\\)\\) \\| 2 processes x 4 threads`));
  });

  test('and its Unix socket, with a Flask page, as the unit\'s unprivileged user', async () => {
    const client = await Client.connectUnix(sock);
    try {
      client.write(get('/'));
      const r = await client.response();
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), '<h1>Hello from Flask</h1>');
    } finally {
      client.close();
    }
    const pidText = execFileSync('ps', ['-o', 'user=', '-p', String(server.child.pid)], { encoding: 'utf8' }).trim();
    assert.equal(pidText, one(serviceUnit, 'Service.User'));
    // Workers and Python hosts do not inherit the activation variables (the app's children would take the sockets for theirs).
    const children = (pid: number): number[] => {
      try {
        return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' }).trim().split('\n').map(Number);
      } catch {
        return [];
      }
    };
    const workers = children(server.child.pid ?? 0);
    const hosts = workers.flatMap(children);
    assert.ok(workers.length >= 2 && hosts.length >= 2, `workers ${workers} hosts ${hosts}`);
    for (const pid of [...workers, ...hosts]) assert.doesNotMatch(fs.readFileSync(`/proc/${pid}/environ`, 'utf8'), /LISTEN_(FDS|PID|FDNAMES)=/);
  });

  test('ExecReload (SIGHUP) reloads (the hosts are swapped: no setting changed) and the sockets keep serving', async () => {
    assert.equal(one(serviceUnit, 'Service.ExecReload'), '/bin/kill -HUP $MAINPID');
    process.kill(server.child.pid ?? 0, 'SIGHUP');
    const deadline = Date.now() + 20_000;
    while (!/SIGHUP: configuration read again/.test(server.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.match(server.output(), /SIGHUP: configuration read again/);
    assert.doesNotMatch(server.output(), /change only on a restart/);
    const client = await Client.connect(port);
    try {
      client.write(get('/hello/after-reload'));
      assert.equal((await client.response()).body.toString(), 'hello after-reload');
    } finally {
      client.close();
    }
  });

  test('a stop (KillMode=mixed: SIGTERM to the supervisor) ends within TimeoutStopSec, which outlasts --graceful-timeout', async () => {
    assert.equal(one(serviceUnit, 'Service.KillMode'), 'mixed');
    const stopSec = seconds(one(serviceUnit, 'Service.TimeoutStopSec'));
    const graceful = Number(/--graceful-timeout (\d+)/.exec(one(serviceUnit, 'Service.ExecStart'))?.[1]);
    assert.ok(graceful < stopSec, `--graceful-timeout ${graceful} must be below TimeoutStopSec ${stopSec}`);
    const started = Date.now();
    assert.equal(await server.stop('SIGTERM'), 0);
    assert.ok(Date.now() - started < stopSec * 1000);
  });
});
