// An application that calls gevent.monkey.patch_all() at import
// (test/apps/gevent_app.py): served correctly, and with -t 10 its sleeping
// requests overlap instead of queueing.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Client, get, request, startServer, type RunningServer } from '../support/server';
import { timed } from './live-helpers';

let server: RunningServer;

before(async () => {
  server = await startServer('gevent_app:app', { args: ['--no-threads', '10'] });
});
after(async () => {
  await server.stop();
});

test('a monkey-patched gevent app runs its requests in greenlets', async () => {
  const r = await request(server.port, get('/info'));
  assert.equal(r.status, 200);
  const info = JSON.parse(r.body.toString()) as Record<string, unknown>;
  assert.equal(info['socket_patched'], true);
  assert.equal(info['threading_patched'], true);
  assert.equal(info['time_patched'], true);
  assert.equal(info['greenlet_type'], 'Greenlet');
  assert.equal(info['multithread'], true);
});

test('a gevent.sleep view, a time.sleep view, an upload and a stream are served correctly', async () => {
  const g = await request(server.port, get('/gsleep?0.1'));
  assert.equal(g.status, 200);
  assert.equal(g.body.toString(), 'gevent.sleep done');
  const t = await request(server.port, get('/tsleep?0.1'));
  assert.equal(t.body.toString(), 'time.sleep done');
  const payload = Buffer.alloc(300_000, 'g');
  const e = await request(server.port, Buffer.concat([Buffer.from(`POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: ${payload.length}\r\n\r\n`), payload]));
  assert.ok(e.body.equals(payload), 'echoed body differs');
  const s = await request(server.port, get('/stream'));
  assert.equal(s.header('transfer-encoding'), 'chunked');
  assert.equal(s.body.toString(), 'g0;g1;g2;g3;g4;');
});

test('a large body written to a client that does not read leaves the other greenlets running', async () => {
  // 32 MiB cannot fit in the socket buffers: the direct write waits for the
  // client, and that wait must yield to the hub like any gevent I/O.
  const stalled = await Client.connect(server.port);
  try {
    stalled.socket.pause();
    stalled.write(get('/big?32'));
    await new Promise((r) => setTimeout(r, 300));
    const { response, ms } = await timed(server.port, get('/gsleep?0.01'));
    assert.equal(response.body.toString(), 'gevent.sleep done');
    assert.ok(ms < 1000, `a 10 ms request took ${ms} ms next to a stalled large response`);
  } finally {
    stalled.close();
  }
});

test('with -t 10, ten concurrent 0.5 s gevent.sleep requests finish in well under 10 x 0.5 s', async () => {
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: 10 }, () => timed(server.port, get('/gsleep?0.5'))));
  const elapsed = Date.now() - started;
  for (const { response } of results) assert.equal(response.status, 200);
  assert.ok(elapsed < 2000, `10 concurrent 0.5 s requests took ${elapsed} ms (serial would be 5000 ms)`);
});

test('with -t 10, ten concurrent 0.5 s time.sleep requests overlap too (time is patched)', async () => {
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: 10 }, () => timed(server.port, get('/tsleep?0.5'))));
  const elapsed = Date.now() - started;
  for (const { response } of results) assert.equal(response.body.toString(), 'time.sleep done');
  assert.ok(elapsed < 2000, `10 concurrent 0.5 s requests took ${elapsed} ms (serial would be 5000 ms)`);
});

test('a fast request is answered while nine slow ones sleep', async () => {
  const slow = Array.from({ length: 9 }, () => timed(server.port, get('/gsleep?1')));
  await new Promise((r) => setTimeout(r, 100));
  const client = await Client.connect(server.port);
  const started = Date.now();
  client.write(get('/info'));
  const fast = await client.response();
  const ms = Date.now() - started;
  client.close();
  assert.equal(fast.status, 200);
  assert.ok(ms < 700, `fast request took ${ms} ms behind the sleepers`);
  for (const { response } of await Promise.all(slow)) assert.equal(response.status, 200);
});

test(
  'a gevent request stuck past --request-timeout gets 504 and the stuck greenlet\'s stack is logged',
  // A greenlet's frame is not in sys._current_frames(): the host must find it another way.
  async () => {
    const stuck = await startServer('gevent_app:app', { args: ['--no-threads', '4', '--request-timeout', '1'] });
    try {
      const { response } = await timed(stuck.port, get('/gsleep?3'), 5000);
      assert.equal(response.status, 504);
      const deadline = Date.now() + 2000;
      while (!/request timeout for GET \/gsleep/.test(stuck.output()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.match(stuck.output(), /request timeout for GET \/gsleep\?3; stack of its thread:[\s\S]*gevent_app\.py", line \d+, in app\n\s+gevent\.sleep\(seconds\)/);
    } finally {
      await stuck.stop();
    }
  },
);
