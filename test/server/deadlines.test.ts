// Whom a connection waits on, and for how long (src/http/deadlines.ts):
// a client that stops reading is cut by the send timeout and frees the app's
// thread; the body timeout runs only while we want bytes; a timed-out
// request's iterable is still closed. Real servers, real sockets, the fixture
// app test/apps/deadlines_app.py.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { Client, PYTHON, get, startServer, type RunningServer } from '../support/server';
import { sleep, timed } from './live-helpers';

/**
 * A client that sets SO_RCVBUF 4096 before connecting, pipelines `raw`, reads
 * nothing for `holdS` seconds, then reads until the server ends the
 * connection. Resolves with how the reading ended: 'closed' (EOF or reset) or
 * 'open' (still open after 5 s of reading).
 */
function stalledClient(port: number, raw: string, holdS: number): Promise<string> {
  const script = `
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("127.0.0.1", ${port}))
s.sendall(sys.argv[1].encode("latin-1"))
time.sleep(${holdS})
s.settimeout(5)
try:
    while s.recv(65536):
        pass
    print("closed")
except socket.timeout:
    print("open")
except OSError:
    print("closed")
`;
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, ['-c', script, raw], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', () => resolve(out.trim()));
  });
}

// The fields these tests read, in the order they read them.
const ACCESS_FORMAT = '"%(r)s" %(s)s %(B)s %(M)sms';

describe('a client that stops reading (--send-timeout 1, one app thread)', () => {
  let server: RunningServer;
  before(async () => {
    // The request timeout is long, so only the send timeout can free the thread in time.
    server = await startServer('deadlines_app:app', {
      args: ['-t', '1', '--request-timeout', '8', '--log-level', 'info', '--access-log-format', ACCESS_FORMAT],
      env: { YIMMO_WSGI_SEND_TIMEOUT: '1' },
    });
  });
  after(async () => {
    await server.stop();
  });

  test('a pipelined stream and a direct write to a client that never reads are cut by the send timeout and free the app thread', async () => {
    // 3 MiB: more than loopback's socket buffers take (about 2.7 MB with a
    // 4 KiB receive buffer, measured), less than that plus the 1 MiB response
    // window Node may hold. So the stream completes, Node still holds its tail,
    // and the direct write of the second response waits for the client
    // before DIRECT_GO (the host's thread waiting on it).
    const stalled = stalledClient(server.port, get('/download?mb=3') + get('/whole?kb=256'), 6);
    await sleep(500);
    // The only app thread is busy with the stalled client; once the send
    // timeout cuts it (1 s + the 250 ms sweep), this request is served.
    const started = Date.now();
    const { response } = await timed(server.port, get('/fast'), 10_000);
    const ms = Date.now() - started;
    assert.equal(response.status, 200);
    assert.ok(ms < 5000, `the free request waited ${ms} ms (the request timeout is 8 s)`);
    assert.equal(await stalled, 'closed');
    assert.doesNotMatch(server.output(), /YW_REQUEST_TIMEOUT/, 'the host was recycled for a client that did not read');
    assert.match(server.output(), /YW_SEND_TIMEOUT: client took no response bytes in time/);
    assert.match(server.output(), /"GET \/whole\?kb=256 HTTP\/1.1" 200 0 /, 'the direct write was not the one cut');
    // The host is the same and still serves.
    for (let i = 0; i < 3; i++) assert.equal((await timed(server.port, get('/fast'), 3000)).response.status, 200);
  });
});

describe('--body-timeout 1', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('deadlines_app:app', { args: ['-t', '2', '--body-timeout', '1', '--log-level', 'info', '--access-log-format', ACCESS_FORMAT] });
  });
  after(async () => {
    await server.stop();
  });

  test('a client that sent its whole body at once is not blamed while the app works before reading the rest', async () => {
    const body = Buffer.alloc(1024 * 1024, 0x61);
    const raw = Buffer.concat([
      Buffer.from(`POST /read-slowly?first=65536&work=2 HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'),
      body,
    ]);
    const { response } = await timed(server.port, raw, 10_000);
    assert.equal(response.status, 200);
    assert.equal(response.body.toString(), String(body.length));
  });

  test('a client that stops sending a body the app is waiting for still gets 408 after the body timeout', async () => {
    const client = await Client.connect(server.port);
    try {
      const started = Date.now();
      client.write('POST /read-slowly?first=100&work=0 HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n' + 'a'.repeat(50));
      const response = await client.response({ timeoutMs: 5000 });
      const ms = Date.now() - started;
      assert.equal(response.status, 408);
      assert.ok(ms >= 1000 && ms < 3500, `408 after ${ms} ms`);
    } finally {
      client.close();
    }
  });
});

describe('--request-timeout 1: a timed-out request is cancelled on the host', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('deadlines_app:app', { args: ['-t', '2', '--request-timeout', '1', '--log-level', 'info', '--access-log-format', ACCESS_FORMAT] });
  });
  after(async () => {
    await server.stop();
  });

  async function closedWithin(token: string, ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (server.output().includes(`CLOSED ${token}\n`)) return true;
      await sleep(50);
    }
    return false;
  }

  test('the iterable of a request that timed out before its response is closed once the app returns (PEP 3333)', async () => {
    const { response } = await timed(server.port, get('/stuck-close?2.5'), 5000);
    assert.equal(response.status, 504);
    assert.ok(await closedWithin('2.5', 6000), 'close() of the timed-out iterable never ran:\n' + server.output());
  });

  test('the iterable of a response that stalled mid-stream is closed once the app wakes (PEP 3333)', async () => {
    const client = await Client.connect(server.port);
    try {
      client.write(get('/drip-close?2'));
      const closed = await client.closed(5000);
      assert.ok(closed, 'the stalled response was not cut');
    } finally {
      client.close();
    }
    assert.ok(await closedWithin('2', 6000), 'close() of the timed-out iterable never ran:\n' + server.output());
  });
});
