// How a connection ends after its last response (test/apps/echo_request.py):
// a client that asked to close and sent nothing more is closed at once (no
// lingering, no shutdown first); anything else still lingers, so a client
// that sends more never loses its response to a reset.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { Client, startServer, type RunningServer } from '../support/server';
import { sleep } from './live-helpers';

let server: RunningServer;

before(async () => {
  server = await startServer('echo_request:app', { args: ['-t', '2'] });
});
after(async () => {
  await server.stop();
});

/**
 * Sends a request that asks to close on a socket that keeps its own side
 * open after the server's FIN (allowHalfOpen), so only the server can end
 * it; then writes a byte every 50 ms until the kernel refuses one (the
 * server's socket is gone: RST). Resolves with the response text and the ms
 * from the server's FIN to the refusal (or the limit).
 */
async function closeThenWrite(port: number, limitMs: number): Promise<{ text: string; refusedAfterMs: number }> {
  const socket = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  let text = '';
  let failed = false;
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('error', () => (failed = true));
  socket.on('close', () => (failed = true));
  const ended = new Promise<void>((resolve) => socket.once('end', resolve));
  socket.write('GET /a?b=c HTTP/1.1\r\nHost: example.org:8080\r\nConnection: close\r\n\r\n');
  await Promise.race([ended, sleep(10_000)]);
  const start = Date.now();
  try {
    while (!failed && Date.now() - start < limitMs) {
      socket.write('x');
      await sleep(50);
    }
    return { text, refusedAfterMs: Date.now() - start };
  } finally {
    socket.destroy();
  }
}

test('a request that asks to close gets its whole response, then the server closes without waiting for the client', async () => {
  const { text, refusedAfterMs } = await closeThenWrite(server.port, 1900);
  const [head = '', body = ''] = text.split('\r\n\r\n');
  assert.match(head, /^HTTP\/1\.1 200 /);
  assert.match(head, /\r\nConnection: close(\r\n|$)/i);
  const echo = JSON.parse(body) as { query: string; server_name: string; server_port: string };
  assert.equal(echo.query, 'b=c');
  assert.equal(echo.server_name, 'example.org');
  assert.equal(echo.server_port, '8080');
  // Closed, not lingering (a lingering close reads and drops for 2 s, until
  // the client's FIN, which this client never sends): bytes sent after the
  // server's FIN are refused by the kernel (RST) straight away.
  assert.ok(refusedAfterMs < 1900, `bytes after the close were still accepted for ${refusedAfterMs} ms`);
});

test('an HTTP/1.0 request without Host gets the listening address as SERVER_NAME and SERVER_PORT', async () => {
  const client = await Client.connect(server.port);
  try {
    client.write('GET /x HTTP/1.0\r\n\r\n');
    const response = await client.response();
    assert.equal(response.status, 200);
    const echo = JSON.parse(response.body.toString()) as { server_name: string; server_port: string; protocol: string };
    assert.equal(echo.protocol, 'HTTP/1.0');
    assert.equal(echo.server_name, '127.0.0.1');
    assert.equal(echo.server_port, String(server.port));
    assert.ok(await client.closed(5000));
  } finally {
    client.close();
  }
});

test('bytes sent after a request that asked to close do not cost the client its response (the close lingers)', async () => {
  for (let i = 0; i < 3; i++) {
    const client = await Client.connect(server.port);
    let error = '';
    client.socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
    try {
      // The client breaks its own word (RFC 9112 9.6) and sends a second request
      // and more: the server answers the first, and must not reset what it sent.
      client.write('GET /first HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\nGET /second HTTP/1.1\r\nHost: x\r\n\r\n' + 'y'.repeat(200_000));
      const response = await client.response();
      assert.equal(response.status, 200, error);
      assert.equal((JSON.parse(response.body.toString()) as { path_info: string }).path_info, '/first');
      assert.ok(await client.closed(5000));
    } finally {
      client.close();
    }
  }
});

test('a keep-alive connection serves request after request and closes after the one that asks to', async () => {
  const client = await Client.connect(server.port);
  try {
    client.write('GET /ok HTTP/1.1\r\nHost: x\r\n\r\n');
    assert.equal((await client.response()).status, 200);
    client.write('GET /again HTTP/1.1\r\nHost: x\r\n\r\n');
    const again = await client.response();
    assert.equal(again.status, 200);
    assert.notEqual(again.header('connection'), 'close');
    client.write('GET /third HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.equal((await client.response()).status, 200);
    assert.ok(await client.closed(5000));
  } finally {
    client.close();
  }
});
