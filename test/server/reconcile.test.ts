// The supervisor converges on P workers of the current generation whatever
// happens (issue 9): a reload whose app no longer imports, reloads in quick
// succession, a stop during start-up, a worker dying with -p 1.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { PYTHON, get, request, startServer } from '../support/server';
import { repoPath } from '../support/repo';
import { alive, children, eventually, sleep } from '../support/processes';
import { rollingConfig } from '../support/rolling-config';

async function hello(port: number, target = '/', timeoutMs = 3000): Promise<string> {
  const r = await request(port, get(target), { timeoutMs });
  assert.equal(r.status, 200);
  return r.body.toString();
}

function appDir(body: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-reload-'));
  fs.writeFileSync(path.join(dir, 'deployed.py'), body);
  return dir;
}

const GOOD = 'def app(environ, start_response):\n    start_response("200 OK", [("Content-Type", "text/plain")])\n    return [b"v1"]\n';

test('a SIGHUP whose new workers cannot load the app keeps the old workers serving', async () => {
  const dir = appDir(GOOD);
  const roll = rollingConfig(); // a worker setting changes too: new workers, not just new hosts
  const server = await startServer('deployed:app', { args: [...roll.args, '-p', '2'], env: { PYTHONPATH: dir } });
  try {
    const supervisor = server.child.pid as number;
    const before = children(supervisor).sort();
    fs.writeFileSync(path.join(dir, 'deployed.py'), 'raise ImportError("bad deploy")\n');
    roll.bump();
    process.kill(supervisor, 'SIGHUP');
    await eventually(async () => assert.match(server.output(), /keeping the old/), 10_000);
    await sleep(1500);
    assert.equal(server.child.exitCode, null, 'the server exited:\n' + server.output());
    assert.deepEqual(children(supervisor).sort(), before);
    for (let i = 0; i < 6; i++) assert.equal(await hello(server.port), 'v1');
  } finally {
    await server.stop();
  }
});

test('two SIGHUPs 0.2 s apart end with P workers, each with one host', async () => {
  const roll = rollingConfig();
  const server = await startServer('behaviours:app', { args: [...roll.args, '-p', '2'] });
  try {
    const supervisor = server.child.pid as number;
    const before = new Set(children(supervisor));
    roll.bump();
    process.kill(supervisor, 'SIGHUP');
    await sleep(200);
    roll.bump();
    process.kill(supervisor, 'SIGHUP');
    await eventually(async () => {
      const now = children(supervisor);
      assert.equal(now.length, 2, `workers: ${now}`);
      assert.ok(now.every((pid) => !before.has(pid)), 'old workers left');
      for (const w of now) assert.equal(children(w).length, 1, `worker ${w} hosts: ${children(w)}`);
    }, 20_000);
    await sleep(1500);
    assert.equal(children(supervisor).length, 2);
    assert.equal((await request(server.port, get('/hello'))).status, 200);
  } finally {
    await server.stop();
  }
});

test('SIGTERM to the process group during start-up stops at once, without waiting for the graceful timeout', async () => {
  for (const delay of [0, 10, 40, 120, 400]) {
    const child = spawn(repoPath('bin', 'yimmo-wsgi'), ['--host', '127.0.0.1', '--port', '0', '--python', PYTHON, '-p', '2', '--graceful-timeout', '20', 'behaviours:app'], {
      cwd: repoPath('test', 'apps'),
      env: { ...process.env, PYTHONPATH: repoPath('test', 'apps') },
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    let output = '';
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Wait for the workers to exist, then signal the whole group as systemd or a terminal would.
    const pid = child.pid as number;
    await eventually(async () => assert.ok(children(pid).length > 0), 5000);
    await sleep(delay);
    const workers = children(pid);
    const started = Date.now();
    process.kill(-pid, 'SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const code = await exited;
    clearTimeout(timer);
    assert.equal(code, 0, output);
    assert.ok(Date.now() - started < 5000, `delay ${delay}: took ${Date.now() - started} ms:\n${output}`);
    await eventually(async () => assert.ok(workers.every((w) => !alive(w)), 'workers left behind'), 5000);
  }
});

test('SIGTERM while the supervisor is still starting (probing a slow Python) is a clean stop, not a kill', async () => {
  // A Python that takes a second to answer the supervisor's version probe:
  // the signal lands before any worker exists. Node's default action for an
  // unhandled SIGTERM would end the supervisor by the signal (no exit code).
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-slowpy-'));
  const slowPython = path.join(dir, 'python3');
  fs.writeFileSync(slowPython, `#!/bin/sh\nsleep 1\nexec ${PYTHON} "$@"\n`, { mode: 0o755 });
  const child = spawn(repoPath('bin', 'yimmo-wsgi'), ['--host', '127.0.0.1', '--port', '0', '--python', slowPython, 'behaviours:app'], {
    cwd: repoPath('test', 'apps'),
    env: { ...process.env, PYTHONPATH: repoPath('test', 'apps') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.on('exit', (code, signal) => resolve([code, signal])));
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  try {
    await sleep(400);
    const title = (pid: number): string => {
      try {
        return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return ''; // gone meanwhile
      }
    };
    assert.ok(!children(child.pid as number).some((pid) => title(pid).startsWith('yimmo-wsgi: worker')),
      'a worker already started: the test no longer signals during start-up');
    child.kill('SIGTERM');
    const [code, signal] = await exited;
    assert.deepEqual([code, signal], [0, null], output);
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
  }
});

test('with -p 1 a worker killed with SIGKILL refuses no connection: they wait for its successor', async () => {
  const server = await startServer('behaviours:app');
  try {
    const supervisor = server.child.pid as number;
    const [worker] = children(supervisor);
    assert.ok(worker);
    process.kill(worker, 'SIGKILL');
    let refused = 0;
    let ok = 0;
    const attempts = Array.from({ length: 20 }, (_, i) =>
      sleep(i * 100).then(async () => {
        try {
          await hello(server.port, '/hello', 10_000);
          ok++;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code === 'ECONNREFUSED') refused++;
          else throw err;
        }
      }),
    );
    await Promise.all(attempts);
    assert.equal(refused, 0, `${refused} connections refused, ${ok} answered`);
    assert.equal(ok, 20);
  } finally {
    await server.stop();
  }
});

test('connections that arrive while no worker is alive are served by the next one', async () => {
  const server = await startServer('behaviours:app');
  try {
    const [worker] = children(server.child.pid as number);
    assert.ok(worker);
    process.kill(worker, 'SIGKILL');
    await eventually(async () => assert.ok(!alive(worker)), 5000);
    const socket = net.connect(server.port, '127.0.0.1');
    const connected = await new Promise<boolean>((resolve) => {
      socket.once('connect', () => resolve(true));
      socket.once('error', () => resolve(false));
    });
    socket.destroy();
    assert.ok(connected, 'the connection was refused while the worker was being replaced');
  } finally {
    await server.stop();
  }
});
