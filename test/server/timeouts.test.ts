// Request, idle, header and body timeouts against real servers
// (test/apps/timeouts_app.py): each cuts what it should, when it should, and
// never touches the other connections.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Client, get, request, startServer, type RunningServer } from '../support/server';
import { sleep, timed } from './live-helpers';

async function fast(port: number, timeoutMs = 3000): Promise<number> {
  const { response } = await timed(port, get('/fast'), timeoutMs);
  return response.status;
}

async function eventuallyOk(port: number, withinMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const status = await fast(port).catch(() => 0);
    if (status === 200) return Date.now() - started;
    if (Date.now() - started > withinMs) throw new Error(`no 200 within ${withinMs} ms (last status ${status})`);
    await sleep(50);
  }
}

describe('--request-timeout 1 with 2 threads', () => {
  let server: RunningServer;
  before(async () => {
    // The import delay makes a host restart take as long as a mid-size
    // Django project's, so a gap while the host is replaced is visible.
    server = await startServer('timeouts_app:app', { args: ['-t', '2', '--request-timeout', '1'], env: { YIMMO_TEST_IMPORT_DELAY: '0.7' } });
  });
  after(async () => {
    await server.stop();
  });

  test('a view stuck for 5 s gets 504 within 2 s, its Python stack is logged, and a fast request on another connection is served during and after', async () => {
    const started = Date.now();
    const stuck = timed(server.port, get('/stuck?5'), 5000);
    await sleep(300);
    // During: the second thread answers at once.
    const during = await timed(server.port, get('/fast'), 1000);
    assert.equal(during.response.status, 200);
    assert.ok(during.ms < 500, `fast request took ${during.ms} ms while the other thread was stuck`);
    const { response } = await stuck;
    const elapsed = Date.now() - started;
    assert.equal(response.status, 504);
    assert.ok(elapsed >= 900 && elapsed < 2000, `504 after ${elapsed} ms`);
    assert.ok(!response.body.toString().includes('STUCK'), 'stack leaked into the response');
    // The stack of the stuck thread, down to the sleeping line, is in the log.
    const deadline = Date.now() + 2000;
    while (!server.output().includes('STUCK-HERE') && Date.now() < deadline) await sleep(50);
    const log = server.output();
    assert.match(log, /YW_REQUEST_TIMEOUT: GET \/stuck\?5/);
    assert.match(log, /request timeout for GET \/stuck\?5; stack of its thread:/);
    assert.match(log, /timeouts_app\.py", line \d+, in stuck\n\s+time\.sleep\(seconds\) {2}# STUCK-HERE/);
    // After: the server keeps serving (a fresh host takes new requests).
    await eventuallyOk(server.port, 5000);
    for (let i = 0; i < 5; i++) assert.equal(await fast(server.port), 200);
  });

  test(
    'a request that arrives while the stuck request\'s host is being replaced is served, not refused with 503',
    // Regression: recycle() used to clear the current host before its
    // replacement was ready, and requests in between got 503.
    async () => {
      const stuck = await timed(server.port, get('/stuck?5'), 5000);
      assert.equal(stuck.response.status, 504);
      // The old host still has a free thread and the new one is starting:
      // nothing justifies refusing this request.
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        statuses.push(await fast(server.port));
        await sleep(100);
      }
      try {
        assert.deepEqual(statuses, [200, 200, 200, 200, 200]);
      } finally {
        await eventuallyOk(server.port, 5000);
      }
    },
  );

  test('a streamed response whose pieces come faster than the request timeout is not cut', async () => {
    const { response, ms } = await timed(server.port, get('/drip?n=4&gap=0.6'), 5000);
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), 'drop0;drop1;drop2;drop3;');
    assert.ok(ms >= 1700, `finished after ${ms} ms`);
  });
});

describe('idle timeout 0.5 s, header timeout 1 s, body timeout 1 s', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('timeouts_app:app', {
      args: ['-t', '4', '--header-timeout', '1', '--body-timeout', '1'],
      env: { YIMMO_SERVER_IDLE_TIMEOUT: '0.5' },
    });
  });
  after(async () => {
    await server.stop();
  });

  test('an idle keep-alive connection is closed within about 1 s', async () => {
    const client = await Client.connect(server.port);
    client.write(get('/fast'));
    assert.equal((await client.response()).status, 200);
    const started = Date.now();
    assert.ok(await client.closed(3000), 'the idle connection was not closed');
    const ms = Date.now() - started;
    assert.ok(ms >= 400 && ms < 1100, `closed after ${ms} ms idle`);
    client.close();
  });

  test('a connection that never sends a byte is closed within about 1 s', async () => {
    const client = await Client.connect(server.port);
    const started = Date.now();
    assert.ok(await client.closed(3000));
    const ms = Date.now() - started;
    assert.ok(ms >= 400 && ms < 1100, `closed after ${ms} ms`);
    client.close();
  });

  test('a request the app handles for 2 s is never cut by the 0.5 s idle timeout, and the connection stays reusable', async () => {
    const client = await Client.connect(server.port);
    try {
      const started = Date.now();
      client.write(get('/slow?2'));
      const r = await client.response({ timeoutMs: 5000 });
      assert.equal(r.status, 200);
      assert.equal(r.body.toString(), 'slow done');
      assert.ok(Date.now() - started >= 1900);
      client.write(get('/fast'));
      assert.equal((await client.response()).status, 200);
    } finally {
      client.close();
    }
  });

  test('a streamed response with 0.8 s gaps between pieces is not cut by the 0.5 s idle timeout', async () => {
    const r = await request(server.port, get('/drip?n=3&gap=0.8'), { timeoutMs: 5000 });
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'drop0;drop1;drop2;');
  });

  test('a slowloris client dripping header bytes gets 408 and is cut off after about 1 s while another client is served', async () => {
    const loris = await Client.connect(server.port);
    let received = '';
    loris.socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const started = Date.now();
    loris.write('GET /fast HTTP/1.1\r\nHost: x\r\nX-Drip: ');
    const drip = setInterval(() => {
      if (!loris.socket.destroyed && loris.socket.writable) loris.write('a');
    }, 100);
    // Meanwhile a well-behaved client on its own keep-alive connection.
    const other = await Client.connect(server.port);
    const latencies: number[] = [];
    try {
      while (Date.now() - started < 1500) {
        const t = Date.now();
        other.write(get('/fast'));
        assert.equal((await other.response()).status, 200);
        latencies.push(Date.now() - t);
        await sleep(100);
      }
      assert.ok(await loris.closed(3000), 'the slowloris connection is still open');
      const ms = Date.now() - started;
      assert.ok(ms < 2000, `cut off after ${ms} ms`);
      assert.match(received, /^HTTP\/1\.1 408 /);
      assert.ok(Math.max(...latencies) < 300, `other client latencies ${latencies.join(',')} ms`);
    } finally {
      clearInterval(drip);
      loris.close();
      other.close();
    }
  });

  test('a client dripping its request body gets 408 after the body timeout while another client is served', async () => {
    const slow = await Client.connect(server.port);
    let received = '';
    slow.socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const started = Date.now();
    slow.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n');
    const drip = setInterval(() => {
      if (!slow.socket.destroyed && slow.socket.writable) slow.write('b');
    }, 100);
    try {
      assert.equal(await fast(server.port), 200);
      assert.ok(await slow.closed(4000), 'the slow body connection is still open');
      const ms = Date.now() - started;
      assert.ok(ms >= 900 && ms < 2000, `cut off after ${ms} ms`);
      assert.match(received, /^HTTP\/1\.1 408 /);
      assert.equal(await fast(server.port), 200);
    } finally {
      clearInterval(drip);
      slow.close();
    }
  });
});
