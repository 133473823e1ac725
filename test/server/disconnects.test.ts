// Clients that leave early never hold an application thread.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Client, get, request, startServer, type RunningServer } from '../support/server';

let server: RunningServer;
before(async () => {
  server = await startServer('behaviours:app', { args: ['--no-threads', '1', '--body-timeout', '30'] });
});
after(async () => {
  await server.stop();
});

test('a client that half-closes in the middle of its body frees the thread at once', async () => {
  const client = await Client.connect(server.port);
  client.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789');
  await new Promise((r) => setTimeout(r, 200));
  client.socket.end();
  // One thread only: if it were still waiting for the body, this would time out.
  const r = await request(server.port, get('/hello'), { timeoutMs: 2000 });
  assert.equal(r.status, 200);
  client.close();
});

test('a client that resets in the middle of its body frees the thread at once', async () => {
  const client = await Client.connect(server.port);
  client.write('POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
  await new Promise((r) => setTimeout(r, 200));
  client.socket.resetAndDestroy();
  const r = await request(server.port, get('/hello'), { timeoutMs: 2000 });
  assert.equal(r.status, 200);
});

test('an app that fails because the client half-closed mid-body answers 400, not 500', async () => {
  const client = await Client.connect(server.port);
  client.write('POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n0123456789');
  await new Promise((r) => setTimeout(r, 100));
  client.socket.end();
  const r = await client.response({ timeoutMs: 3000 });
  assert.equal(r.status, 400);
  assert.ok(await client.closed());
});
