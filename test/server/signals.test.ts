// The signals users know from gunicorn (issue 10), each sent to a real
// server: QUIT stops, HUP reads the config file again, USR1 reopens logs and
// opens no inspector, TTIN/TTOU change the number of workers, USR2 and WINCH
// are harmless, and nothing ever suspends the server. Signals sent to the
// whole process group (a terminal, systemd) mean the same.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, get, request, startServer, type RunningServer } from '../support/server';
import { alive, children, eventually, listeningPorts, sleep, stopped } from '../support/processes';

async function hello(port: number): Promise<void> {
  const r = await request(port, get('/hello'), { timeoutMs: 5000 });
  assert.equal(r.status, 200);
}

function tree(server: RunningServer): number[] {
  const supervisor = server.child.pid as number;
  const workers = children(supervisor);
  return [supervisor, ...workers, ...workers.flatMap(children)];
}

test('SIGQUIT stops gracefully: a request in flight finishes, exit 0', async () => {
  const server = await startServer('behaviours:app');
  const client = await Client.connect(server.port);
  client.write(get('/sleep?1'));
  await sleep(300);
  const exited = server.stop('SIGQUIT');
  assert.equal((await client.response({ timeoutMs: 5000 })).status, 200);
  assert.equal(await exited, 0);
});

test('a second SIGQUIT stops at once, even with a request in flight', async () => {
  const server = await startServer('behaviours:app');
  const client = await Client.connect(server.port);
  client.write(get('/sleep?10'));
  await sleep(300);
  const started = Date.now();
  process.kill(server.child.pid as number, 'SIGQUIT');
  await sleep(200);
  assert.equal(await server.stop('SIGQUIT'), 0);
  assert.ok(Date.now() - started < 4000, `took ${Date.now() - started} ms`);
  client.close();
});

test('Ctrl-C (SIGINT to the process group) stops gracefully: the request in flight is answered', async () => {
  const server = await startServer('behaviours:app', { args: ['-p', '2'] });
  const client = await Client.connect(server.port);
  client.write(get('/sleep?1'));
  await sleep(300);
  process.kill(-(server.child.pid as number), 'SIGINT');
  assert.equal((await client.response({ timeoutMs: 5000 })).status, 200);
  assert.equal(await server.stop('SIGCONT'), 0);
});

test('SIGHUP reads the config file again: new settings reach the new workers', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-hup-')), 'server.yaml');
  fs.writeFileSync(file, 'wsgi:\n  no_threads: 1\n');
  const server = await startServer('behaviours:app', { args: ['-c', file] });
  try {
    const before = JSON.parse((await request(server.port, get('/environ_dump'))).body.toString()) as Record<string, unknown>;
    assert.equal(before['wsgi.multithread'], false);
    fs.writeFileSync(file, 'wsgi:\n  no_threads: 3\n');
    process.kill(server.child.pid as number, 'SIGHUP');
    await eventually(async () => {
      const after = JSON.parse((await request(server.port, get('/environ_dump'))).body.toString()) as Record<string, unknown>;
      assert.equal(after['wsgi.multithread'], true);
    }, 15_000);
  } finally {
    await server.stop();
  }
});

test('SIGHUP with a broken config file logs its one line and keeps serving with the old configuration', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-hup-')), 'server.yaml');
  fs.writeFileSync(file, 'wsgi:\n  no_threads: 1\n');
  const server = await startServer('behaviours:app', { args: ['-c', file] });
  try {
    const workers = children(server.child.pid as number);
    fs.writeFileSync(file, 'wsgi:\n  no_threads: zero\n');
    process.kill(server.child.pid as number, 'SIGHUP');
    await eventually(async () => assert.match(server.output(), /SIGHUP: .*no_threads.*keeping the current configuration/), 5000);
    await sleep(500);
    assert.deepEqual(children(server.child.pid as number), workers, 'workers were replaced');
    await hello(server.port);
  } finally {
    await server.stop();
  }
});

test('SIGUSR1 reopens logs, keeps serving, and opens no inspector port in any process', async () => {
  const server = await startServer('behaviours:app', { args: ['-p', '2', '-l', 'INFO'] });
  try {
    const pids = tree(server);
    process.kill(server.child.pid as number, 'SIGUSR1');
    process.kill(-(server.child.pid as number), 'SIGUSR1');
    await eventually(async () => assert.match(server.output(), /SIGUSR1: reopened log files/), 5000);
    await sleep(500);
    await hello(server.port);
    assert.deepEqual([...listeningPorts(pids)], [server.port]);
    assert.ok(pids.every(alive), 'a process died');
    assert.doesNotMatch(server.output(), /Debugger listening/);
  } finally {
    await server.stop();
  }
});

test('SIGTTIN adds a worker, SIGTTOU removes one but never the last; nothing is suspended', async () => {
  const server = await startServer('behaviours:app');
  try {
    const supervisor = server.child.pid as number;
    process.kill(supervisor, 'SIGTTIN');
    await eventually(async () => assert.equal(children(supervisor).length, 2));
    await eventually(async () => assert.match(server.output(), /SIGTTIN: 2 processes/));
    process.kill(supervisor, 'SIGTTOU');
    await eventually(async () => assert.equal(children(supervisor).length, 1));
    process.kill(supervisor, 'SIGTTOU');
    await eventually(async () => assert.match(server.output(), /SIGTTOU: already 1 process/));
    // To the whole group too: the workers and hosts ignore them.
    // (Apart: two pending signals are delivered in signal-number order, TTIN first.)
    process.kill(-supervisor, 'SIGTTOU');
    await eventually(async () => assert.equal((server.output().match(/SIGTTOU: already 1 process/g) ?? []).length, 2));
    process.kill(-supervisor, 'SIGTTIN');
    await sleep(800);
    for (const pid of tree(server)) assert.ok(!stopped(pid), `process ${pid} is stopped`);
    await hello(server.port);
    await eventually(async () => assert.equal(children(supervisor).length, 2));
  } finally {
    await server.stop();
  }
});

test('SIGUSR2 and SIGWINCH, to the supervisor or the whole group, neither stop nor disturb the server', async () => {
  const server = await startServer('behaviours:app', { args: ['-p', '2'] });
  try {
    const pids = tree(server);
    for (const signal of ['SIGUSR2', 'SIGWINCH'] as const) {
      process.kill(server.child.pid as number, signal);
      process.kill(-(server.child.pid as number), signal);
    }
    await sleep(800);
    assert.ok(pids.every(alive), 'a process died');
    assert.deepEqual(tree(server).sort(), [...pids].sort(), 'processes were replaced');
    await hello(server.port);
    assert.match(server.output(), /SIGUSR2: ignored/);
  } finally {
    await server.stop();
  }
});

test('SIGHUP to the whole process group rolls the workers without killing a python host mid-request', async () => {
  const server = await startServer('behaviours:app', { args: ['-p', '2', '-t', '2'] });
  try {
    const clients = await Promise.all([1, 2, 3].map(() => Client.connect(server.port)));
    for (const c of clients) c.write(get('/sleep?1'));
    await sleep(300);
    process.kill(-(server.child.pid as number), 'SIGHUP');
    for (const c of clients) assert.equal((await c.response({ timeoutMs: 8000 })).status, 200);
    assert.doesNotMatch(server.output(), /python host \d+ died/);
  } finally {
    await server.stop();
  }
});
