// The listening socket belongs to the supervisor and outlives every worker;
// workers accept on their copies (no connection crosses the supervisor),
// stop accepting while saturated so that a burst spreads over them, and wrap
// TLS themselves. Without Node's internal handle API, the supervisor accepts
// and deals connections instead (the fallback), with the same guarantees.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as tls from 'node:tls';
import * as net from 'node:net';
import { Client, get, makeTlsCert, request, runCli, startServer, PYTHON } from '../support/server';
import { repoPath } from '../support/repo';
import { alive, children, eventually, listeningPorts, sleep } from '../support/processes';
import { rollingConfig } from '../support/rolling-config';

const FALLBACK = { NODE_OPTIONS: `--require ${repoPath('dist', 'test', 'support', 'no-shared-handles.js')}` };

async function parallelSleeps(port: number, n: number): Promise<{ ms: number; pids: Set<string> }> {
  const started = Date.now();
  const responses = await Promise.all(Array.from({ length: n }, () => request(port, get('/sleep?1'), { timeoutMs: 10_000 })));
  for (const r of responses) assert.equal(r.status, 200);
  return { ms: Date.now() - started, pids: new Set(responses.map((r) => r.body.toString().split(' in ')[1] ?? '')) };
}

test('every worker listens on the supervisor\'s socket; the supervisor keeps it', async () => {
  const server = await startServer('behaviours:app', { args: ['-p', '2'] });
  try {
    const supervisor = server.child.pid as number;
    for (const pid of [supervisor, ...children(supervisor)]) assert.deepEqual([...listeningPorts([pid])], [server.port], `process ${pid}`);
  } finally {
    await server.stop();
  }
});

test('a burst of parallel requests is spread over the workers: 2 x 1 s requests on 2 x 1 threads take one round', async () => {
  const server = await startServer('behaviours:app', { args: ['-p', '2', '-t', '1'] });
  try {
    for (let i = 0; i < 3; i++) {
      const { ms, pids } = await parallelSleeps(server.port, 2);
      assert.equal(pids.size, 2, `round ${i}: both requests went to ${[...pids]}`);
      assert.ok(ms < 1900, `round ${i}: ${ms} ms`);
    }
    // Twice the capacity: two rounds, never three (the saturated worker waits its turn).
    const { ms } = await parallelSleeps(server.port, 4);
    assert.ok(ms < 2900, `4 requests took ${ms} ms`);
  } finally {
    await server.stop();
  }
});

test('under saturation with a new connection per request, pauses are rationed: at most 4 at once and 40 a second per worker (no thrashing)', async (t) => {
  const server = await startServer('behaviours:app', { args: ['-p', '2', '-t', '1', '-l', 'DEBUG'] });
  try {
    const started = Date.now();
    let answered = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        for (let i = 0; i < 100; i++) {
          assert.equal((await request(server.port, get('/hello', 'Connection: close\r\n'))).status, 200);
          answered++;
        }
      }),
    );
    const elapsed = Date.now() - started;
    const pauses = (server.output().match(/not accepting/g) ?? []).length;
    t.diagnostic(`${answered} requests in ${elapsed} ms, ${pauses} pauses`);
    assert.ok(pauses <= 2 * (elapsed / 25 + 4), `${pauses} pauses in ${elapsed} ms for ${answered} requests`);
  } finally {
    await server.stop();
  }
});

test('every worker kept saturated by keep-alive clients: new connections, fourteen at once or one at a time, still get their first response within a bound (the supervisor resumes a worker, which takes all that wait)', async (t) => {
  // -p 2 -t 1 and eight keep-alive clients per worker, each sending its next
  // 50 ms request as soon as the last one is answered: a worker's busy count
  // never falls to the resume threshold, so without the supervisor's bound
  // every worker stays paused and a new connection waits for ever. The
  // sixteen arrive at once: each worker takes one and pauses, and the other
  // fourteen are handed over after one bound (200 ms), a round's worth at a
  // time, not one per bound (14 x 200 ms).
  const server = await startServer('behaviours:app', { args: ['-p', '2', '-t', '1'] });
  let stop = false;
  const firstAnswers: number[] = [];
  const loops = Array.from({ length: 16 }, async () => {
    const started = Date.now();
    const client = await Client.connect(server.port);
    try {
      for (let first = true; !stop; first = false) {
        client.write(get('/sleep?0.05'));
        assert.equal((await client.response({ timeoutMs: 10_000 })).status, 200);
        if (first) firstAnswers.push(Date.now() - started);
      }
    } finally {
      client.close();
    }
  });
  // Awaited below; a failure after the test has already failed (the server stopping) is not reported twice.
  for (const loop of loops) loop.catch(() => undefined);
  try {
    await sleep(1000);
    for (let i = 0; i < 3; i++) {
      const started = Date.now();
      assert.equal((await request(server.port, get('/hello', 'Connection: close\r\n'), { timeoutMs: 10_000 })).status, 200);
      const ms = Date.now() - started;
      t.diagnostic(`new connection ${i}: first response in ${ms} ms`);
      // The bound (200 ms) plus eight 50 ms requests queued ahead: 600 ms on a quiet machine.
      assert.ok(ms < 1500, `new connection ${i} answered after ${ms} ms`);
      await sleep(200);
    }
    stop = true;
    await Promise.all(loops);
    t.diagnostic(`the saturating clients' first responses after ${firstAnswers.join(', ')} ms`);
    assert.equal(firstAnswers.length, 16);
    // 200 ms, the hand-overs, then up to eight 50 ms requests ahead: 650 ms on a quiet machine.
    assert.ok(Math.max(...firstAnswers) < 2000, `a saturating client's first response after ${Math.max(...firstAnswers)} ms`);
  } finally {
    stop = true;
    await server.stop();
    await Promise.allSettled(loops);
  }
});

test('TLS with several workers: each wraps the connections it accepts', async () => {
  const { cert, key } = makeTlsCert();
  const server = await startServer('behaviours:app', { args: ['-p', '2', '--tls-cert', cert, '--tls-key', key] });
  try {
    for (let i = 0; i < 4; i++) {
      const body = await new Promise<string>((resolve, reject) => {
        const socket = tls.connect({ port: server.port, host: '127.0.0.1', rejectUnauthorized: false }, () => socket.write(get('/hello', 'Connection: close\r\n')));
        let data = '';
        socket.on('data', (d: Buffer) => (data += d.toString()));
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      assert.match(body, /^HTTP\/1\.1 200[\s\S]*Hello, World!$/);
    }
  } finally {
    await server.stop();
  }
});

test('fallback (no shared handles): the supervisor deals connections to both workers', async () => {
  const server = await startServer('behaviours:app', { args: ['-p', '2', '-t', '1'], env: FALLBACK });
  try {
    const supervisor = server.child.pid as number;
    assert.deepEqual([...listeningPorts(children(supervisor))], [], 'a worker listens in the fallback');
    const { ms, pids } = await parallelSleeps(server.port, 2);
    assert.equal(pids.size, 2);
    assert.ok(ms < 1900, `${ms} ms`);
  } finally {
    await server.stop();
  }
});

test('fallback: connections that arrive while the only worker is dead wait for its successor', async () => {
  const server = await startServer('behaviours:app', { env: FALLBACK });
  try {
    const [worker] = children(server.child.pid as number);
    assert.ok(worker);
    process.kill(worker, 'SIGKILL');
    await eventually(async () => assert.ok(!alive(worker)), 5000);
    assert.equal((await request(server.port, get('/hello'), { timeoutMs: 10_000 })).status, 200);
  } finally {
    await server.stop();
  }
});

test('fallback: SIGHUP replaces the workers while requests keep succeeding', async () => {
  const roll = rollingConfig();
  const server = await startServer('behaviours:app', { args: [...roll.args, '-p', '2'], env: FALLBACK });
  try {
    const supervisor = server.child.pid as number;
    const before = new Set(children(supervisor));
    roll.bump();
    process.kill(supervisor, 'SIGHUP');
    const deadline = Date.now() + 20_000;
    for (;;) {
      assert.equal((await request(server.port, get('/hello'), { timeoutMs: 5000 })).status, 200);
      const now = children(supervisor);
      if (now.length === 2 && now.every((pid) => !before.has(pid))) break;
      assert.ok(Date.now() < deadline, 'workers not replaced');
      await sleep(50);
    }
  } finally {
    await server.stop();
  }
});

test('fallback: a port already in use is one line and exit 4', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    const r = await runCli(['--python', PYTHON, '--host', '127.0.0.1', '--port', String(port), 'behaviours:app'], FALLBACK);
    assert.equal(r.code, 4);
    assert.match(r.stderr.trim(), new RegExp(`^[^\\n]*${port}.*EADDRINUSE[^\\n]*$`));
  } finally {
    blocker.close();
  }
});
