// Every exchange, however it ends, writes exactly one access-log line with
// the body bytes that actually left (src/http/connection.ts ExchangeRecord):
// clean, cut mid-body, 502, 504, header and body timeouts, client gone.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Client, get, request, startServer, type RunningServer } from '../support/server';
import { sleep } from './live-helpers';

// The fields these tests read, in the order they read them.
const ACCESS_FORMAT = '"%(r)s" %(s)s %(B)s %(M)sms';

describe('the access log', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('deadlines_app:app', {
      args: ['-t', '2', '--log-level', 'info', '--access-log-format', ACCESS_FORMAT, '--request-timeout', '1', '--header-timeout', '1', '--body-timeout', '1'],
    });
  });
  after(async () => {
    await server.stop();
  });

  /** The access-log lines for `request` (e.g. 'GET /fast?a HTTP/1.1'), once they stop changing. */
  async function lines(requestLine: string, expected = 1): Promise<Array<{ status: number; bytes: number }>> {
    const pattern = new RegExp(`"${requestLine.replace(/[?.*+()[\]\\/]/g, '\\$&')}" (\\d+|-) (\\d+) \\d+ms`, 'g');
    // %(s)s is '-' when no status line left.
    const find = (): Array<{ status: number; bytes: number }> =>
      [...server.output().matchAll(pattern)].map((m) => ({ status: m[1] === '-' ? 0 : Number(m[1]), bytes: Number(m[2]) }));
    const deadline = Date.now() + 4000;
    while (find().length < expected && Date.now() < deadline) await sleep(50);
    await sleep(300); // a second line would come now
    return find();
  }

  test('a clean exchange logs its status and body length once', async () => {
    const response = await request(server.port, get('/fast?clean'));
    assert.equal(response.status, 200);
    assert.deepEqual(await lines('GET /fast?clean HTTP/1.1'), [{ status: 200, bytes: 4 }]);
  });

  test('a response cut by an app error mid-body logs once, with the bytes that left', async () => {
    const client = await Client.connect(server.port);
    try {
      client.write(get('/fail-after?cut'));
      assert.ok(await client.closed(5000));
    } finally {
      client.close();
    }
    assert.deepEqual(await lines('GET /fail-after?cut HTTP/1.1'), [{ status: 200, bytes: 'partial;'.length }]);
  });

  test('a 504 logs once, with the bytes of its body', async () => {
    const response = await request(server.port, get('/stuck-close?1.5'), { timeoutMs: 5000 });
    assert.equal(response.status, 504);
    assert.deepEqual(await lines('GET /stuck-close?1.5 HTTP/1.1'), [{ status: 504, bytes: response.body.length }]);
  });

  test('a 502 logs once, with the bytes of its body', async () => {
    const response = await request(server.port, get('/crash?log'), { timeoutMs: 5000 });
    assert.equal(response.status, 502);
    assert.deepEqual(await lines('GET /crash?log HTTP/1.1'), [{ status: 502, bytes: response.body.length }]);
  });

  test('a header timeout logs one 408 line without a request', async () => {
    const before = (server.output().match(/"-" 408 \d+ \d+ms/g) ?? []).length;
    const client = await Client.connect(server.port);
    try {
      client.write('GET /never-finished HTTP/1.1\r\nHost');
      const response = await client.response({ timeoutMs: 5000 });
      assert.equal(response.status, 408);
      await sleep(300);
      const after = server.output().match(/"-" 408 (\d+) \d+ms/g) ?? [];
      assert.equal(after.length - before, 1);
      assert.match(after[after.length - 1] ?? '', new RegExp(`"-" 408 ${response.body.length} `));
      assert.match(server.output(), /YW_HEADER_TIMEOUT: request head not received in time/);
    } finally {
      client.close();
    }
  });

  test('a body timeout logs one 408 line for its request', async () => {
    const client = await Client.connect(server.port);
    try {
      client.write('POST /read-slowly?first=100&work=0&log HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n' + 'a'.repeat(50));
      const response = await client.response({ timeoutMs: 5000 });
      assert.equal(response.status, 408);
      assert.deepEqual(await lines('POST /read-slowly?first=100&work=0&log HTTP/1.1'), [{ status: 408, bytes: response.body.length }]);
      assert.match(server.output(), /YW_BODY_TIMEOUT: request body not received in time/);
    } finally {
      client.close();
    }
  });

  test('a client that resets the connection before its response logs once, with status 0 and no bytes', async () => {
    const client = await Client.connect(server.port);
    client.write('POST /read-slowly?first=100&work=0&gone HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n' + 'a'.repeat(50));
    await sleep(300);
    client.socket.resetAndDestroy(); // a FIN alone would be a half-close, still owed an answer (400: the body is incomplete)
    assert.deepEqual(await lines('POST /read-slowly?first=100&work=0&gone HTTP/1.1'), [{ status: 0, bytes: 0 }]);
  });
});
