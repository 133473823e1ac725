// Pipelined requests (RFC 9112 9.3.2) at the edges of a connection: a client
// that half-closes after its requests, and a response that leaves before the
// application read the request body (RFC 9110 10.1.1). Real server, raw
// sockets, test/apps/deadlines_app.py.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Client, get, startServer, type RunningServer } from '../support/server';

describe('pipelining', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('deadlines_app:app', { args: ['-t', '2'] });
  });
  after(async () => {
    await server.stop();
  });

  test('three pipelined requests followed by a FIN get three responses, then the connection closes', async () => {
    const client = await Client.connect(server.port);
    try {
      client.write(get('/fast?1') + get('/fast?2') + get('/fast?3'));
      client.socket.end();
      for (let i = 1; i <= 3; i++) {
        const response = await client.response({ timeoutMs: 5000 });
        assert.equal(response.status, 200, `response ${i}`);
        assert.equal(response.body.toString(), 'fast');
      }
      assert.ok(await client.closed(3000), 'the connection stayed open after the last response');
    } finally {
      client.close();
    }
  });

  test('a FIN after a whole body the app has not read yet does not make the body incomplete', async () => {
    const body = Buffer.alloc(1024 * 1024, 0x62);
    const client = await Client.connect(server.port);
    try {
      client.write(Buffer.concat([
        Buffer.from(`POST /read-slowly?first=65536&work=0.5 HTTP/1.1\r\nHost: x\r\nContent-Length: ${body.length}\r\n\r\n`, 'latin1'),
        body,
        Buffer.from(get('/fast'), 'latin1'),
      ]));
      client.socket.end();
      const first = await client.response({ timeoutMs: 8000 });
      assert.equal(first.status, 200);
      assert.equal(first.body.toString(), String(body.length));
      const second = await client.response({ timeoutMs: 5000 });
      assert.equal(second.status, 200);
      assert.ok(await client.closed(3000));
    } finally {
      client.close();
    }
  });

  test('a response sent before the app read a body the client was to confirm says Connection: close, or the next request is answered', async () => {
    const client = await Client.connect(server.port);
    try {
      // The client may send the body at once (RFC 9110 10.1.1); the app never reads it.
      client.write('POST /fast HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\nhello' + get('/fast?next'));
      const first = await client.response({ timeoutMs: 5000 });
      assert.equal(first.status, 200);
      if (first.header('connection') === 'close') {
        assert.ok(await client.closed(3000), 'said close but stayed open');
        return;
      }
      const second = await client.response({ timeoutMs: 5000 });
      assert.equal(second.status, 200);
    } finally {
      client.close();
    }
  });

  test('a response sent while more of the body is unread than the server drops to keep a connection says Connection: close', async () => {
    const client = await Client.connect(server.port);
    try {
      client.write('POST /fast HTTP/1.1\r\nHost: x\r\nContent-Length: 1048576\r\n\r\n' + 'a'.repeat(10));
      const first = await client.response({ timeoutMs: 5000 });
      assert.equal(first.status, 200);
      assert.equal(first.header('connection'), 'close');
      assert.ok(await client.closed(5000));
    } finally {
      client.close();
    }
  });

  test('a response to a body the app never read is followed by the next pipelined request when no confirmation was asked', async () => {
    const client = await Client.connect(server.port);
    try {
      client.write('POST /fast HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello' + get('/fast?next'));
      const first = await client.response({ timeoutMs: 5000 });
      assert.equal(first.status, 200);
      assert.equal(first.header('connection'), undefined);
      const second = await client.response({ timeoutMs: 5000 });
      assert.equal(second.status, 200);
    } finally {
      client.close();
    }
  });
});
