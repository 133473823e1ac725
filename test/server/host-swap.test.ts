// Reloads and recycles that swap the Python hosts under the running workers:
// no request fails, no connection closes (not even a keep-alive one after its
// response), no worker is replaced, and a new host that cannot start leaves
// the old one serving. Counts are printed as test diagnostics.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http2 from 'node:http2';
import * as os from 'node:os';
import * as path from 'node:path';
import { get, request, startServer, type RunningServer } from '../support/server';
import { children, eventually, sleep } from '../support/processes';
import { clientLoop, type Tally } from '../support/client-loop';
import { fetchText, metricsPort } from '../support/metrics';

const LOAD_CLIENTS = [false, false, true, true]; // two on fresh connections, two kept alive

function app(version: string): string {
  return 'def app(environ, start_response):\n' +
    '    start_response("200 OK", [("Content-Type", "text/plain")])\n' +
    `    return [b"${version}"]\n`;
}

function appDir(body: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-swap-'));
  fs.writeFileSync(path.join(dir, 'swapped.py'), body);
  return dir;
}

/** Worker pid -> its host pids. */
function tree(server: RunningServer): Map<number, number[]> {
  return new Map(children(server.child.pid as number).map((w) => [w, children(w)]));
}

async function body(port: number): Promise<string> {
  const r = await request(port, get('/'), { timeoutMs: 10_000 });
  assert.equal(r.status, 200);
  return r.body.toString();
}

async function hostRestarts(server: RunningServer, reason: string): Promise<number> {
  const text = (await fetchText(metricsPort(server.output()), '/metrics')).body;
  const match = new RegExp(`^yimmo_host_restarts_total\\{reason="${reason}"\\} (\\d+)`, 'm').exec(text);
  return match === null ? 0 : Number(match[1]);
}

async function reloads(server: RunningServer, result: string): Promise<number> {
  const text = (await fetchText(metricsPort(server.output()), '/metrics')).body;
  const match = new RegExp(`^yimmo_reloads_total\\{result="${result}"\\} (\\d+)`, 'm').exec(text);
  return match === null ? 0 : Number(match[1]);
}

function assertClean(tally: Tally, minimum: number): void {
  assert.ok(tally.ok > minimum, `only ${tally.ok} requests answered`);
  assert.deepEqual(tally.failed, []);
  assert.equal(tally.closedWithoutResponse, 0, 'connections closed without a response');
  assert.equal(tally.closedAfterResponse ?? 0, 0, 'keep-alive connections closed by the server');
}

test('-p 2 -t 2: twenty code-only SIGHUPs under load swap the hosts: no failed request, no closed connection, same workers', async (t) => {
  const server = await startServer('behaviours:app', { args: ['-p', '2', '-t', '2', '--metrics-bind', '127.0.0.1:0'] });
  try {
    const supervisor = server.child.pid as number;
    const before = tree(server);
    let done = false;
    const deadline = Date.now() + 90_000;
    const tally: Tally = { ok: 0, failed: [], closedWithoutResponse: 0 };
    const loops = LOAD_CLIENTS.map((keepAlive) => clientLoop(server.port, keepAlive, () => done || Date.now() > deadline, tally));
    await sleep(300);
    for (let i = 0; i < 20; i++) {
      process.kill(supervisor, 'SIGHUP');
      await sleep(i % 4 === 3 ? 150 : 700); // a few land while a swap is in progress
    }
    await eventually(async () => assert.ok((server.output().match(/reload done/g) ?? []).length >= 1), 20_000);
    await eventually(async () => {
      const now = tree(server);
      assert.deepEqual([...now.keys()].sort(), [...before.keys()].sort(), 'workers were replaced');
      for (const [worker, hosts] of now) {
        assert.equal(hosts.length, 1, `worker ${worker} hosts: ${hosts}`);
        assert.ok(!(before.get(worker) ?? []).includes(hosts[0] as number), `worker ${worker} kept its host`);
      }
    }, 20_000);
    await sleep(500);
    done = true;
    await Promise.all(loops);
    const swaps = await hostRestarts(server, 'reload');
    t.diagnostic(`20 SIGHUPs: ${swaps} host swaps, ${tally.ok} requests answered, ${tally.failed.length} failed, ` +
      `${tally.closedWithoutResponse} closed without a response, ${tally.closedAfterResponse ?? 0} keep-alive connections closed`);
    assert.equal((server.output().match(/SIGHUP: configuration read again, no setting changed/g) ?? []).length, 20);
    assert.ok(swaps >= 2, `${swaps} host swaps`);
    assertClean(tally, 100);
    assert.doesNotMatch(server.output(), /died|YW_RELOAD_FAILED/);
  } finally {
    await server.stop();
  }
});

test('a SIGHUP whose new code does not import keeps the old hosts serving, logged once; the next good one swaps them', async () => {
  const dir = appDir(app('v1'));
  const server = await startServer('swapped:app', { args: ['-p', '2', '--metrics-bind', '127.0.0.1:0'], env: { PYTHONPATH: dir } });
  try {
    const supervisor = server.child.pid as number;
    assert.equal(await body(server.port), 'v1');
    const before = tree(server);
    fs.writeFileSync(path.join(dir, 'swapped.py'), 'def app(:\n');
    process.kill(supervisor, 'SIGHUP');
    await eventually(async () => assert.match(server.output(), /YW_RELOAD_FAILED: .*SyntaxError/), 15_000);
    await sleep(1500);
    assert.equal((server.output().match(/YW_RELOAD_FAILED/g) ?? []).length, 1, 'logged more than once:\n' + server.output());
    // The traceback, from the one host that tried.
    assert.equal((server.output().match(/importing 'swapped' failed/g) ?? []).length, 1, server.output());
    assert.match(server.output(), /importing 'swapped' failed:\s*\n.*Traceback/);
    assert.deepEqual(tree(server), before, 'hosts or workers changed');
    for (let i = 0; i < 4; i++) assert.equal(await body(server.port), 'v1');

    fs.writeFileSync(path.join(dir, 'swapped.py'), app('v22'));
    process.kill(supervisor, 'SIGHUP');
    await eventually(async () => {
      for (let i = 0; i < 4; i++) assert.equal(await body(server.port), 'v22');
    }, 15_000);
    assert.deepEqual([...tree(server).keys()].sort(), [...before.keys()].sort(), 'workers were replaced');
    await eventually(async () => assert.deepEqual([await reloads(server, 'ok'), await reloads(server, 'failed')], [1, 1]), 10_000);
  } finally {
    await server.stop();
  }
});

test('a SIGHUP that changes only host settings (here --max-requests in the config file) swaps hosts, not workers', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-swap-')), 'server.yaml');
  fs.writeFileSync(file, 'wsgi:\n  max_requests: 0\n');
  const server = await startServer('behaviours:app', { args: ['-c', file, '--metrics-bind', '127.0.0.1:0'] });
  try {
    const before = tree(server);
    fs.writeFileSync(file, 'wsgi:\n  max_requests: 5\n');
    process.kill(server.child.pid as number, 'SIGHUP');
    await eventually(async () => assert.match(server.output(), /only host settings changed \(recycle\)/), 10_000);
    await eventually(async () => assert.equal(await hostRestarts(server, 'reload'), 1), 10_000);
    // The new limit holds on the new hosts: a recycle every 5 requests or more (a host
    // serves on while its successor starts), so two take at least 10.
    let sent = 0;
    while ((await hostRestarts(server, 'recycle')) < 2) {
      assert.ok(sent < 200, `${sent} requests and not two recycles`);
      assert.equal((await request(server.port, get('/hello'), { timeoutMs: 10_000 })).status, 200);
      sent++;
      await sleep(20);
    }
    assert.ok(sent >= 10, `two recycles after ${sent} requests`);
    assert.deepEqual([...tree(server).keys()], [...before.keys()], 'the worker was replaced');
  } finally {
    await server.stop();
  }
});

test('-p 2 -t 2 --max-requests 50 --max-requests-jitter 5: twenty recycles under load, no failed request, no closed connection', async (t) => {
  const server = await startServer('behaviours:app', {
    args: ['-p', '2', '-t', '2', '--max-requests', '50', '--max-requests-jitter', '5', '--metrics-bind', '127.0.0.1:0'],
  });
  try {
    const workers = [...tree(server).keys()].sort();
    let done = false;
    const deadline = Date.now() + 120_000;
    const tally: Tally = { ok: 0, failed: [], closedWithoutResponse: 0 };
    const loops = LOAD_CLIENTS.map((keepAlive) => clientLoop(server.port, keepAlive, () => done || Date.now() > deadline, tally));
    let recycles = 0;
    try {
      while (recycles < 20) {
        assert.ok(Date.now() < deadline, `only ${recycles} recycles in time`);
        await sleep(500);
        recycles = await hostRestarts(server, 'recycle');
      }
    } finally {
      done = true;
      await Promise.all(loops);
    }
    t.diagnostic(`${recycles} recycles: ${tally.ok} requests answered, ${tally.failed.length} failed, ` +
      `${tally.closedWithoutResponse} closed without a response, ${tally.closedAfterResponse ?? 0} keep-alive connections closed`);
    assertClean(tally, 1000);
    assert.deepEqual([...tree(server).keys()].sort(), workers, 'workers were replaced');
    assert.doesNotMatch(server.output(), /died/);
  } finally {
    await server.stop();
  }
});

test('--max-host-age and --max-rss recycle the host (swapped, same worker)', async () => {
  const server = await startServer('behaviours:app', { args: ['--max-host-age', '1', '--max-host-age-jitter', '0.5', '--metrics-bind', '127.0.0.1:0'] });
  try {
    const [worker] = tree(server).keys();
    await eventually(async () => assert.ok((await hostRestarts(server, 'recycle')) >= 2), 15_000);
    assert.deepEqual([...tree(server).keys()], [worker]);
    assert.equal((await request(server.port, get('/hello'))).status, 200);
  } finally {
    await server.stop();
  }
  // Any Python host is above 1 MiB: replaced at the first sample (every 5 s).
  const big = await startServer('behaviours:app', { args: ['--max-rss', '1M', '--metrics-bind', '127.0.0.1:0'] });
  try {
    const started = Date.now();
    await eventually(async () => assert.ok((await hostRestarts(big, 'recycle')) >= 1), 20_000);
    assert.ok(Date.now() - started >= 3000, 'recycled before the first memory sample was due');
    assert.match(big.output(), /./);
    assert.equal((await request(big.port, get('/hello'))).status, 200);
  } finally {
    await big.stop();
  }
});

test('a reload whose new host outlasts --host-start-timeout keeps the old host serving', async () => {
  const flag = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-swap-')), 'hang');
  const server = await startServer('hanging_import:app', { args: ['--host-start-timeout', '1'], env: { YIMMO_TEST_HANG_FILE: flag } });
  try {
    const before = tree(server);
    const served = (await request(server.port, get('/'))).body.toString();
    fs.writeFileSync(flag, '');
    const started = Date.now();
    process.kill(server.child.pid as number, 'SIGHUP');
    await eventually(async () => assert.match(server.output(), /YW_RELOAD_FAILED: .*within 1 s \(--host-start-timeout\)/), 15_000);
    assert.ok(Date.now() - started >= 900, 'gave up before the start timeout');
    assert.equal((await request(server.port, get('/'))).body.toString(), served, 'not the old host');
    await eventually(async () => assert.deepEqual(tree(server), before), 5000); // the hung host was killed
  } finally {
    await server.stop();
  }
});

test('a recycle whose new host cannot start keeps the old host serving, retries with backoff, and swaps once it can', async () => {
  const dir = appDir(app('v1'));
  const server = await startServer('swapped:app', { args: ['--max-requests', '3', '--metrics-bind', '127.0.0.1:0'], env: { PYTHONPATH: dir } });
  try {
    const before = tree(server);
    fs.writeFileSync(path.join(dir, 'swapped.py'), 'raise RuntimeError("database down")\n');
    for (let i = 0; i < 10; i++) {
      assert.equal(await body(server.port), 'v1');
      await sleep(100);
    }
    await eventually(async () => assert.match(server.output(), /YW_HOST_START: .* attempt 2 failed: .*database down/), 15_000);
    assert.deepEqual(tree(server), before, 'the host or the worker changed');
    assert.equal(await hostRestarts(server, 'recycle'), 0);
    fs.writeFileSync(path.join(dir, 'swapped.py'), app('v22'));
    await eventually(async () => {
      assert.equal(await body(server.port), 'v22');
    }, 20_000);
    assert.ok((await hostRestarts(server, 'recycle')) >= 1);
  } finally {
    await server.stop();
  }
});

test('a reload while the host is dead and its app no longer starts is what the next replacement starts', async () => {
  const dir = appDir('import os\n' + app('v1') + 'def crash(environ, start_response):\n    os._exit(1)\n' +
    'def routed(environ, start_response):\n    return (crash if environ["PATH_INFO"] == "/crash" else app)(environ, start_response)\n');
  fs.writeFileSync(path.join(dir, 'other.py'), app('other'));
  const file = path.join(dir, 'server.yaml');
  fs.writeFileSync(file, 'wsgi:\n  module: swapped\n  app: routed\n');
  const server = await startServer('', { args: ['-c', file], env: { PYTHONPATH: dir } });
  try {
    const [worker] = tree(server).keys();
    fs.writeFileSync(path.join(dir, 'swapped.py'), 'raise RuntimeError("gone")\n');
    await request(server.port, get('/crash'), { timeoutMs: 10_000 }).catch(() => undefined);
    await eventually(async () => assert.match(server.output(), /YW_HOST_START: .*attempt 2 failed: .*gone/), 15_000);
    fs.writeFileSync(file, 'wsgi:\n  module: other\n  app: app\n');
    process.kill(server.child.pid as number, 'SIGHUP');
    await eventually(async () => assert.equal(await body(server.port), 'other'), 20_000);
    assert.deepEqual([...tree(server).keys()], [worker], 'the worker was replaced');
  } finally {
    await server.stop();
  }
});

test('--http2: a code-only SIGHUP keeps an HTTP/2 session open (no GOAWAY); its next request reaches the new host', async () => {
  const server = await startServer('h2_app:app', { args: ['--http2'] });
  const session = http2.connect(`http://127.0.0.1:${server.port}`);
  try {
    session.on('error', () => undefined);
    let goaway = false;
    session.on('goaway', () => (goaway = true));
    const get2 = (): Promise<number> => new Promise((resolve, reject) => {
      const req = session.request({ ':path': '/echo' });
      let status = 0;
      req.on('response', (h) => (status = Number(h[':status'])));
      req.on('data', () => undefined);
      req.on('end', () => resolve(status));
      req.on('error', reject);
    });
    assert.equal(await get2(), 200);
    const before = tree(server);
    process.kill(server.child.pid as number, 'SIGHUP');
    await eventually(async () => assert.match(server.output(), /reload done: 1 python host swapped/), 15_000);
    assert.equal(await get2(), 200);
    const after = tree(server);
    assert.deepEqual([...after.keys()], [...before.keys()], 'the worker was replaced');
    assert.notDeepEqual([...after.values()], [...before.values()], 'the host was not swapped');
    assert.equal(goaway, false, 'the session got GOAWAY');
    assert.equal(session.closed, false);
  } finally {
    session.destroy();
    await server.stop();
  }
});
