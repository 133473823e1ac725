// Processes, supervision and signals: the server survives its children dying,
// spreads work over processes, and drains on SIGTERM.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Client, get, request, startServer } from '../support/server';
import { alive, children, eventually } from '../support/processes';
import { rollingConfig } from '../support/rolling-config';

async function hello(port: number): Promise<void> {
  const r = await request(port, get('/hello'), { timeoutMs: 2000 });
  assert.equal(r.status, 200);
}

test('SIGTERM lets a 2 s request finish and then exits 0', async () => {
  const server = await startServer('behaviours:app');
  const client = await Client.connect(server.port);
  client.write(get('/sleep?2'));
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  const exited = server.stop('SIGTERM');
  const r = await client.response({ timeoutMs: 5000 });
  assert.equal(r.status, 200);
  assert.equal(await exited, 0);
  assert.ok(Date.now() - started < 4000);
});

test('an idle keep-alive client does not delay shutdown', async () => {
  const server = await startServer('behaviours:app');
  const client = await Client.connect(server.port);
  client.write(get('/hello'));
  await client.response();
  const started = Date.now();
  assert.equal(await server.stop('SIGTERM'), 0);
  assert.ok(Date.now() - started < 2000, `shutdown took ${Date.now() - started} ms`);
  assert.ok(await client.closed(1000));
});

test('a killed python host is replaced: its request gets 502, later requests succeed', async () => {
  const server = await startServer('behaviours:app');
  try {
    const r = await request(server.port, get('/crash'));
    assert.equal(r.status, 502);
    await eventually(() => hello(server.port));
  } finally {
    await server.stop();
  }
});

test('kill -9 of a host or a worker is followed by successful requests within seconds', async () => {
  const server = await startServer('behaviours:app');
  try {
    const [worker] = children(server.child.pid as number);
    assert.ok(worker, 'no worker process');
    const [host] = children(worker);
    assert.ok(host, 'no host process');
    process.kill(host, 'SIGKILL');
    await eventually(() => hello(server.port));
    process.kill(worker, 'SIGKILL');
    await eventually(() => hello(server.port));
    assert.notEqual(children(server.child.pid as number)[0], worker);
  } finally {
    await server.stop();
  }
});

test('-p 2 serves requests from two python hosts', async () => {
  const server = await startServer('behaviours:app', { args: ['-p', '2'] });
  try {
    const pids = new Set<string>();
    for (let i = 0; i < 60 && pids.size < 2; i++) {
      // Concurrent slow requests force both workers to take connections.
      const batch = await Promise.all([1, 2, 3, 4].map(() => request(server.port, get('/sleep?0.05'))));
      for (const r of batch) pids.add(r.body.toString().split(' in ')[1] ?? '');
    }
    assert.equal(pids.size, 2, `answered by ${[...pids].join(', ')}`);
  } finally {
    await server.stop();
  }
});

test('when the supervisor is killed its workers and hosts exit too', async () => {
  const server = await startServer('behaviours:app');
  const supervisor = server.child.pid as number;
  const [worker] = children(supervisor);
  assert.ok(worker);
  const [host] = children(worker);
  assert.ok(host);
  process.kill(supervisor, 'SIGKILL');
  await eventually(async () => assert.ok(!alive(worker) && !alive(host), 'orphans left behind'), 5000);
});

test('SIGHUP with a new worker setting replaces every worker and host while requests keep succeeding', async () => {
  const roll = rollingConfig();
  const server = await startServer('behaviours:app', { args: [...roll.args, '-p', '2'] });
  try {
    const supervisor = server.child.pid as number;
    const before = new Set(children(supervisor));
    assert.equal(before.size, 2);
    roll.bump();
    process.kill(supervisor, 'SIGHUP');
    let failures = 0;
    const deadline = Date.now() + 15_000;
    for (;;) {
      try {
        await hello(server.port);
      } catch {
        failures++;
      }
      const now = children(supervisor);
      if (now.length === 2 && now.every((pid) => !before.has(pid))) break;
      assert.ok(Date.now() < deadline, `workers not replaced: before ${[...before]}, now ${now}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(failures, 0, 'requests failed during the rolling restart');
  } finally {
    await server.stop();
  }
});

test('a second SIGINT stops at once, even with a request in flight', async () => {
  const server = await startServer('behaviours:app');
  const client = await Client.connect(server.port);
  client.write(get('/sleep?10'));
  await new Promise((r) => setTimeout(r, 300));
  const started = Date.now();
  process.kill(server.child.pid as number, 'SIGINT');
  await new Promise((r) => setTimeout(r, 200));
  const code = await server.stop('SIGINT');
  assert.equal(code, 0);
  assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms`);
  client.close();
});
