// The bridge carries frames of at most 16 MiB. Legal settings
// (--max-header-size up to 16M) and applications (huge response headers)
// can produce more; that must fail one request, never the host and every
// request on it (issue 9, item 10).
import { describe, test, before, after } from 'node:test';
import * as assert from 'node:assert/strict';
import { Client, get, request, startServer, type RunningServer } from '../support/server';

describe('frames over the 16 MiB limit', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('frame_limits:app', {
      args: ['-t', '2', '--log-level', 'INFO', '--max-header-size', '16M', '--max-request-line', '65536', '--request-timeout', '30', '--header-timeout', '60', '--max-headers', '1000'],
    });
  });
  after(async () => {
    await server.stop();
  });

  async function hostPid(): Promise<string> {
    const r = await request(server.port, get('/pid'));
    assert.equal(r.status, 200);
    return r.body.toString().split(' from ')[1] as string;
  }

  test('a request head too large to frame gets 431 from the worker; the host and the request in flight are unaffected', async () => {
    const pid = await hostPid();
    const inFlight = request(server.port, get('/slow?1.5'), { timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    // A request line of 60 KB and a header section just under 16 MiB (in
    // 32 KiB fields): each within its limit, together over a frame.
    const path = '/pid?' + 'q'.repeat(60_000);
    let fields = '';
    for (let i = 0; fields.length < 16 * 1024 * 1024 - 64 * 1024; i++) fields += `X-Big-${i}: ${'b'.repeat(32 * 1024 - 20)}\r\n`;
    const big = Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\n${fields}\r\n`, 'latin1');
    const client = await Client.connect(server.port);
    client.write(big);
    const r = await client.response({ timeoutMs: 60_000 });
    assert.equal(r.status, 431);
    const slow = await inFlight;
    assert.equal(slow.status, 200, 'the request in flight on the same host failed');
    assert.equal(await hostPid(), pid, 'the host was replaced');
    assert.match(server.output(), /request head of \d+ bytes is too large for the bridge/);
  });

  test('a response head too large to frame fails that response with 500; the host and the request in flight are unaffected', async () => {
    const pid = await hostPid();
    const inFlight = request(server.port, get('/slow?1.5'), { timeoutMs: 30_000 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    const r = await request(server.port, get('/huge-head'), { timeoutMs: 30_000 });
    assert.equal(r.status, 500);
    const slow = await inFlight;
    assert.equal(slow.status, 200, 'the request in flight on the same host failed');
    assert.equal(await hostPid(), pid, 'the host was replaced');
    assert.match(server.output(), /response head of \d+ bytes exceeds/);
  });
});
