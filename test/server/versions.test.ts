// HTTP versions in the request line (RFC 9110 2.5, RFC 9112 2.3): HTTP/1.2 to
// HTTP/1.9 are served as HTTP/1.1, the highest we implement, and the app sees
// SERVER_PROTOCOL "HTTP/1.1"; HTTP/2+ and malformed versions are refused.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Client, request, startServer, type RunningServer } from '../support/server';

describe('HTTP versions', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('behaviours:app');
  });
  after(async () => {
    await server.stop();
  });

  test('an HTTP/1.2 request is served as HTTP/1.1 and keeps its connection', async () => {
    const client = await Client.connect(server.port);
    try {
      for (const minor of [2, 9]) {
        client.write(`GET /environ-dump HTTP/1.${minor}\r\nHost: x\r\n\r\n`);
        const response = await client.response();
        assert.equal(response.status, 200);
        assert.equal(response.header('connection'), undefined);
        const environ = JSON.parse(response.body.toString()) as Record<string, unknown>;
        assert.equal(environ['SERVER_PROTOCOL'], 'HTTP/1.1');
      }
    } finally {
      client.close();
    }
  });

  test('an HTTP/1.2 request without Host is refused as an HTTP/1.1 one would be', async () => {
    const response = await request(server.port, 'GET /hello HTTP/1.2\r\n\r\n');
    assert.equal(response.status, 400);
  });

  test('HTTP/2.0 and HTTP/3.0 in an HTTP/1 request line get 505, a malformed version 400', async () => {
    assert.equal((await request(server.port, 'GET /hello HTTP/2.0\r\nHost: x\r\n\r\n')).status, 505);
    assert.equal((await request(server.port, 'GET /hello HTTP/3.0\r\nHost: x\r\n\r\n')).status, 505);
    assert.equal((await request(server.port, 'GET /hello HTTP/1.10\r\nHost: x\r\n\r\n')).status, 400);
  });
});
