// --metrics-bind: Prometheus /metrics aggregated over all workers and hosts,
// read by the official parser; the counters must match the requests sent.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { Client, PYTHON, get, request, runCli, startServer, type RawResponse, type RunningServer } from '../support/server';
import { fetchText, metricsPort, parseExposition, valueOf, type Sample } from '../support/metrics';
import { sleep } from './live-helpers';

async function scrape(port: number): Promise<Sample[]> {
  const res = await fetchText(port, '/metrics');
  assert.equal(res.status, 200);
  assert.match(res.type, /^text\/plain; version=0\.0\.4/);
  return parseExposition(res.body);
}

/** Scrapes until `ready` holds (connections close asynchronously); bounded. */
async function scrapeUntil(port: number, ready: (s: Sample[]) => boolean, timeoutMs = 10_000): Promise<Sample[]> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const samples = await scrape(port);
    if (ready(samples) || Date.now() > deadline) return samples;
    await sleep(100);
  }
}

const post = (path: string, body: string): string =>
  `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('metrics of two workers with two threads each', () => {
  let server: RunningServer;
  let admin: number;

  before(async () => {
    server = await startServer('timeouts_app:app', {
      args: ['-p', '2', '-t', '2', '--metrics-bind', '127.0.0.1:0', '--request-timeout', '1.5'],
    });
    admin = metricsPort(server.output());
  });
  after(async () => {
    await server.stop();
  });

  test('counts the requests sent, by method and status class, over both workers', async () => {
    const raws: string[] = [];
    const exchange = async (client: Client, raw: string, expected: number, head = false): Promise<RawResponse> => {
      raws.push(raw);
      client.write(raw);
      const response = await client.response({ head });
      assert.equal(response.status, expected);
      return response;
    };
    // Workers accept from the shared socket; a saturated one (two requests
    // on two threads) leaves new connections to the other. Four slow requests
    // at once so spread over both workers; /fast then names each one's host.
    const clients = await Promise.all([0, 1, 2, 3].map(() => Client.connect(server.port)));
    await Promise.all(clients.map((c) => exchange(c, get('/slow?0.5'), 200)));
    const byHost = new Map<string, Client>();
    for (const c of clients) byHost.set((await exchange(c, get('/fast'), 200)).body.toString().split(' ')[1] ?? '', c);
    assert.equal(byHost.size, 2, 'the four connections were not spread over both workers');
    const [first, second] = [...byHost.values()] as [Client, Client];
    for (const client of [first, second]) {
      for (let i = 0; i < 3; i++) await exchange(client, get('/fast'), 200);
      await exchange(client, post('/echo', 'hello'), 200);
      await exchange(client, get('/missing'), 404);
      await exchange(client, 'HEAD /fast HTTP/1.1\r\nHost: localhost\r\n\r\n', 200, true);
    }
    for (const c of clients) c.close();
    const garbage = 'NOT A REQUEST\r\n\r\n';
    raws.push(garbage);
    assert.equal((await request(server.port, garbage)).status, 400);

    const samples = await scrapeUntil(admin, (s) => valueOf(s, 'yimmo_connections_open') === 0);
    assert.equal(valueOf(samples, 'yimmo_requests_total', { method: 'GET', status: '2xx' }), 6 + 8); // and the 4 slow + 4 probes
    assert.equal(valueOf(samples, 'yimmo_requests_total', { method: 'POST', status: '2xx' }), 2);
    assert.equal(valueOf(samples, 'yimmo_requests_total', { method: 'GET', status: '4xx' }), 2);
    assert.equal(valueOf(samples, 'yimmo_requests_total', { method: 'HEAD', status: '2xx' }), 2);
    assert.equal(valueOf(samples, 'yimmo_requests_total', { method: 'other', status: '4xx' }), 1);
    assert.equal(valueOf(samples, 'yimmo_requests_total', { method: 'GET', status: '5xx' }), 0);
    // Every answered request has a duration, the refused one too: the histogram's count is the requests' total.
    assert.equal(valueOf(samples, 'yimmo_request_duration_seconds_count'), 21);
    assert.equal(valueOf(samples, 'yimmo_request_duration_seconds_bucket', { le: '+Inf' }), 21);
    assert.equal(valueOf(samples, 'yimmo_queue_wait_seconds_count'), 20); // every request that reached a host
    assert.equal(valueOf(samples, 'yimmo_connections_accepted_total'), 5);
    assert.equal(valueOf(samples, 'yimmo_connections_refused_total'), 0);
    assert.equal(valueOf(samples, 'yimmo_received_bytes_total'), raws.reduce((n, r) => n + Buffer.byteLength(r), 0));
    assert.ok(valueOf(samples, 'yimmo_sent_bytes_total') > 12 * 50);
    assert.equal(valueOf(samples, 'yimmo_requests_in_flight'), 0);
    assert.equal(valueOf(samples, 'yimmo_app_threads', { state: 'busy' }), 0);
    assert.equal(valueOf(samples, 'yimmo_app_threads', { state: 'idle' }), 4);
    const rss = samples.filter((s) => s.name === 'yimmo_process_resident_memory_bytes');
    assert.deepEqual(rss.map((s) => s.labels['kind']).sort(), ['host', 'host', 'supervisor', 'worker', 'worker']);
    for (const s of rss) assert.ok(s.value > 4 * 1024 * 1024, `${s.labels['kind']} ${s.labels['pid']} RSS ${s.value}`);
    // Both workers served: the totals are an aggregate, not one worker's numbers.
    const status = JSON.parse((await fetchText(admin, '/status.json')).body) as { workers: Array<{ requests: number }> };
    const perWorker = status.workers.map((w) => w.requests);
    assert.equal(perWorker.length, 2);
    assert.ok(perWorker.every((n) => n >= 8), String(perWorker)); // 6 + a slow and a probe each, at least
    assert.equal(perWorker[0]! + perWorker[1]!, 21);
  });

  test('a request timeout counts a 504, a request timeout and a host replaced for it', async () => {
    const before = await scrape(admin);
    assert.equal((await request(server.port, get('/stuck?5'), { timeoutMs: 10_000 })).status, 504);
    const samples = await scrapeUntil(admin, (s) => valueOf(s, 'yimmo_host_restarts_total', { reason: 'timeout' }) === 1);
    assert.equal(valueOf(samples, 'yimmo_timeouts_total', { kind: 'request' }), 1);
    assert.equal(valueOf(samples, 'yimmo_host_restarts_total', { reason: 'timeout' }), 1);
    assert.equal(valueOf(samples, 'yimmo_host_restarts_total', { reason: 'crash' }), 0);
    assert.equal(valueOf(samples, 'yimmo_requests_total', { method: 'GET', status: '5xx' }), 1);
    assert.equal(
      valueOf(samples, 'yimmo_request_duration_seconds_count'),
      valueOf(before, 'yimmo_request_duration_seconds_count') + 1,
    );
  });

  test('the metrics port answers a malformed request with 400 and never reaches the application', async () => {
    const before = await scrape(admin);
    const res = await request(admin, 'GET /metrics HTTP/1.1\r\nHost: a\r\nNo colon here\r\n\r\n');
    assert.equal(res.status, 400);
    assert.equal((await request(admin, 'POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n')).status, 405);
    assert.equal((await request(admin, get('/fast'))).status, 404); // the app's paths are not here
    const after = await scrape(admin);
    for (const name of ['yimmo_requests_total', 'yimmo_connections_accepted_total', 'yimmo_received_bytes_total']) {
      const sum = (s: Sample[]): number => s.filter((x) => x.name === name).reduce((n, x) => n + x.value, 0);
      assert.equal(sum(after), sum(before), name);
    }
  });

  test('a worker that dies is counted as a crash restart and its counts stay in the totals', async () => {
    const before = await scrape(admin);
    const status = JSON.parse((await fetchText(admin, '/status.json')).body) as { workers: Array<{ pid: number }> };
    const victim = status.workers[0]?.pid;
    assert.ok(victim !== undefined);
    process.kill(victim, 'SIGKILL');
    const samples = await scrapeUntil(admin, (s) => s.filter((x) => x.labels['kind'] === 'worker').length === 2 &&
      valueOf(s, 'yimmo_worker_restarts_total', { reason: 'crash' }) === 1, 15_000);
    assert.equal(valueOf(samples, 'yimmo_worker_restarts_total', { reason: 'crash' }), 1);
    for (const name of ['yimmo_request_duration_seconds_count', 'yimmo_connections_accepted_total', 'yimmo_received_bytes_total']) {
      assert.equal(valueOf(samples, name), valueOf(before, name), name);
    }
    assert.ok(!samples.some((s) => s.labels['pid'] === String(victim)));
  });
});

describe('metrics settings', () => {
  test('a metrics address already in use stops start-up with exit 4 and names the address', async () => {
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const port = (taken.address() as net.AddressInfo).port;
    try {
      const run = await runCli(['--host', '127.0.0.1', '--port', '0', '--python', PYTHON, '--metrics-bind', `127.0.0.1:${port}`, 'timeouts_app:app']);
      assert.equal(run.code, 4);
      assert.match(run.stderr, new RegExp(`YW_METRICS_BIND: cannot listen on 127\\.0\\.0\\.1:${port} \\(--metrics-bind\\): EADDRINUSE`));
      assert.doesNotMatch(run.stdout, /Serving/); // no worker was started
    } finally {
      taken.close();
    }
  });

  test('a malformed metrics address is a config error naming the setting (exit 2)', async () => {
    for (const bad of ['9091', 'localhost', '127.0.0.1:70000', '[::1:9091', 'a b:1']) {
      const run = await runCli(['--metrics-bind', bad, 'timeouts_app:app']);
      assert.equal(run.code, 2, bad);
      assert.match(run.stderr, /--metrics-bind/, bad);
    }
  });
});

describe('metrics of bodies the host writes itself', () => {
  let server: RunningServer;
  let admin: number;

  before(async () => {
    server = await startServer('bulk_app:app', { args: ['--metrics-bind', '127.0.0.1:0'] });
    admin = metricsPort(server.output());
  });
  after(async () => {
    await server.stop();
  });

  test('sent bytes include a body the host wrote to the client itself (a direct write)', async () => {
    const before = valueOf(await scrape(admin), 'yimmo_sent_bytes_total');
    const res = await request(server.port, get('/whole?kb=1024'), { timeoutMs: 15_000 });
    assert.equal(res.status, 200);
    assert.equal(res.body.length, 1024 * 1024);
    const samples = await scrapeUntil(admin, (s) => valueOf(s, 'yimmo_connections_open') === 0);
    const sent = valueOf(samples, 'yimmo_sent_bytes_total') - before;
    // The body once, plus one head: not twice (the worker did not write it) and not zero.
    assert.ok(sent >= 1024 * 1024 && sent < 1024 * 1024 + 1024, `sent ${sent}`);
  });
});
