// Direct writes depend on Node internals (a socket's _handle, the
// NODE_HANDLE / ACK messages). When they misbehave, large responses must
// still be served over the bridge, never hang (issue 9, item 11). The
// fixture app handoff_faults.py breaks the host's side of the channel.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { Client, get, request, startServer } from '../support/server';

const BIG = 1 << 20;

function expectedBody(): Buffer {
  const out = Buffer.allocUnsafe(BIG);
  for (let i = 0; i < BIG; i++) out[i] = i & 0xff;
  return out;
}

async function withFault<T>(fault: string, args: readonly string[], body: (port: number, output: () => string) => Promise<T>): Promise<T> {
  const server = await startServer('handoff_faults:app', { args: ['-t', '2', ...args], env: { YIMMO_TEST_HANDOFF_FAULT: fault } });
  try {
    return await body(server.port, server.output);
  } finally {
    await server.stop();
  }
}

test('a host that never answers the start-up probe gets no direct writes: large responses cross the bridge', async () => {
  await withFault('deaf', ['--request-timeout', '5'], async (port, output) => {
    assert.match(output(), /direct writes disabled, the socket hand-over probe failed: no answer within 5 s/);
    for (let i = 0; i < 2; i++) {
      const r = await request(port, get(`/big?${BIG}`), { timeoutMs: 15_000 });
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(expectedBody()), 'body differs');
    }
  });
});

test('a hand-over that fails after a good probe is refused: the response crosses the bridge instead', async () => {
  await withFault('close-after-probe', ['--request-timeout', '5'], async (port, output) => {
    assert.doesNotMatch(output(), /direct writes disabled/);
    const client = await Client.connect(port);
    for (let i = 0; i < 2; i++) {
      client.write(get(`/big?${BIG}`));
      const r = await client.response({ timeoutMs: 15_000 });
      assert.equal(r.status, 200);
      assert.equal(r.header('content-length'), String(BIG));
      assert.ok(r.body.equals(expectedBody()), 'body differs');
    }
    client.socket.destroy();
    assert.match(output(), /cannot hand the client socket to the python host \(.*\); the response crosses the bridge/);
    // The channel is gone for good: later requests are not even offered a direct write.
    assert.match(output(), /direct writes stopped \(the IPC channel to the host is closed\)/);
    assert.equal(output().match(/cannot hand the client socket/g)?.length, 1, output());
  });
});

test('a host that drops handed-over sockets: the response is undone and crosses the bridge, later ones are not offered', async () => {
  await withFault('drop-sockets', ['--request-timeout', '2'], async (port, output) => {
    // Node sent the socket (it cannot tell it was dropped): the host waits
    // for it at most half the request timeout, answers DIRECT_UNDONE, and
    // the body crosses the bridge after the head the worker writes.
    const started = Date.now();
    const first = await request(port, get(`/big?${BIG}`), { timeoutMs: 20_000 });
    assert.equal(first.status, 200);
    assert.ok(first.body.equals(expectedBody()), 'body differs');
    assert.ok(Date.now() - started >= 900, 'undone before the bound');
    assert.match(output(), /did not arrive within 1 s; the body crosses the bridge instead/);
    assert.match(output(), /direct writes stopped \(a socket sent over the IPC channel never reached the host\)/);
    // Later responses are not offered a direct write at all.
    for (let i = 0; i < 2; i++) {
      const r = await request(port, get(`/big?${BIG}`), { timeoutMs: 20_000 });
      assert.equal(r.status, 200);
      assert.ok(r.body.equals(expectedBody()), 'body differs');
    }
    assert.equal(output().match(/did not arrive within/g)?.length, 1, output());
  });
});

test('a host that stops acknowledging handles: the next hand-over is refused after its bound and crosses the bridge', async () => {
  await withFault('no-ack', ['--request-timeout', '2'], async (port, output) => {
    // The first socket reaches the host (unacknowledged): a direct write.
    const first = await request(port, get(`/big?${BIG}`), { timeoutMs: 20_000 });
    assert.equal(first.status, 200);
    assert.ok(first.body.equals(expectedBody()), 'body differs');
    assert.doesNotMatch(output(), /cannot hand the client socket/);
    // Node holds the next socket until an ACK that never comes: refused
    // after half the request timeout, the body crosses the bridge.
    const second = await request(port, get(`/big?${BIG}`), { timeoutMs: 20_000 });
    assert.equal(second.status, 200);
    assert.ok(second.body.equals(expectedBody()), 'body differs');
    assert.match(output(), /cannot hand the client socket to the python host \(the socket was not passed within 1 s\)/);
    assert.match(output(), /direct writes stopped \(the socket was not passed within 1 s\)/);
    const third = await request(port, get(`/big?${BIG}`), { timeoutMs: 20_000 });
    assert.equal(third.status, 200);
    assert.equal(output().match(/cannot hand the client socket/g)?.length, 1, output());
  });
});
