// Direct writes (docs/protocol.md "Direct writes"): a large whole body goes
// from the Python host straight to the client socket. These tests check that
// the bytes and the HTTP framing are exactly what the bridge path would give,
// on every kind of connection, and that a client who leaves or stalls costs
// the host no descriptor.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as tls from 'node:tls';
import { Client, get, makeTlsCert, request, startServer, type RunningServer } from '../support/server';
import { processTree, sleep } from './live-helpers';

const KiB = 1024;

/** The body bulk_app.py's /whole sends: byte i is (i * 7 + i / 4096) & 0xff. */
function wholeBody(size: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  for (let i = 0; i < size; i++) out[i] = (i * 7 + Math.floor(i / 4096)) & 0xff;
  return out;
}

/** bulk_app.py's /download?mb=N: 64 KiB chunks, chunk k = k (4 bytes, big-endian) + bytes 4.. of 0..255 repeated. */
function downloadBody(mb: number): Buffer {
  const chunk = 64 * KiB;
  const out = Buffer.allocUnsafe(mb * 1024 * KiB);
  for (let i = 0; i < out.length; i++) out[i] = i & 0xff;
  for (let k = 0; k * chunk < out.length; k++) out.writeUInt32BE(k, k * chunk);
  return out;
}

function hostPid(server: RunningServer): number {
  const tree = processTree(server.child.pid as number);
  const host = tree.find((pid) => fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').includes('yimmo_host'));
  assert.ok(host !== undefined, `no python host in ${tree.join(' ')}`);
  return host;
}

/** The host's open descriptors that are sockets (the bridge, the IPC channel, and any client copies). */
function hostSockets(pid: number): number {
  let n = 0;
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/fd/${fd}`).startsWith('socket:')) n++;
    } catch {
      // closed while we looked
    }
  }
  return n;
}

async function settledSockets(pid: number, expected: number): Promise<number> {
  let n = hostSockets(pid);
  for (let i = 0; i < 50 && n !== expected; i++) {
    await sleep(100);
    n = hostSockets(pid);
  }
  return n;
}

describe('one process', () => {
  let server: RunningServer;
  let host: number;
  let baseline: number;

  before(async () => {
    server = await startServer('bulk_app:app', { args: ['-t', '2', '--request-timeout', '2'] });
    host = hostPid(server);
    baseline = hostSockets(host);
  });
  after(async () => {
    await server.stop();
  });

  test('a 1 MiB whole body arrives intact, framed by its length, and the connection carries on', async () => {
    const client = await Client.connect(server.port);
    try {
      for (const path of ['/whole?kb=1024', '/hello', '/whole?kb=200', '/whole?kb=1024']) {
        client.write(get(path));
        const response = await client.response();
        assert.equal(response.status, 200);
        if (path === '/hello') {
          assert.equal(response.body.toString(), 'hello');
          continue;
        }
        const size = Number(/kb=(\d+)/.exec(path)?.[1]) * KiB;
        assert.equal(response.header('content-length'), String(size));
        assert.equal(response.header('transfer-encoding'), undefined);
        assert.ok(response.header('date') !== undefined && response.header('server') === 'yimmo-wsgi');
        assert.ok(response.body.equals(wholeBody(size)), `${path}: body differs`);
      }
    } finally {
      client.close();
    }
  });

  test('a file from wsgi.file_wrapper is sent whole (sendfile), and the connection carries on', async () => {
    const client = await Client.connect(server.port);
    try {
      for (const kb of [2048, 1, 300]) {
        client.write(get(`/file?kb=${kb}`));
        const response = await client.response();
        assert.equal(response.header('content-length'), String(kb * KiB));
        assert.ok(response.body.equals(wholeBody(kb * KiB)), `${kb} KiB: body differs`);
        client.write(get('/hello'));
        assert.equal((await client.response()).body.toString(), 'hello');
      }
    } finally {
      client.close();
    }
  });

  test('pipelined requests around a direct body are answered in order', async () => {
    const client = await Client.connect(server.port);
    try {
      client.write(get('/hello') + get('/whole?kb=512') + get('/hello') + get('/whole?kb=300'));
      assert.equal((await client.response()).body.toString(), 'hello');
      assert.ok((await client.response()).body.equals(wholeBody(512 * KiB)));
      assert.equal((await client.response()).body.toString(), 'hello');
      assert.ok((await client.response()).body.equals(wholeBody(300 * KiB)));
    } finally {
      client.close();
    }
  });

  test('a direct body waits for the bytes of the previous response still queued for a slow client', async () => {
    const client = await Client.connect(server.port);
    try {
      client.socket.pause();
      // The 4 MiB download crosses the bridge; its last bytes are still in
      // the worker's socket buffer when the next request's DIRECT arrives.
      client.write(get('/download?mb=4') + get('/whole?kb=1024'));
      await sleep(500);
      client.socket.resume();
      const download = await client.response();
      assert.ok(download.body.equals(downloadBody(4)), 'the bridged response differs');
      assert.ok((await client.response()).body.equals(wholeBody(1024 * KiB)), 'the direct response differs');
    } finally {
      client.close();
    }
  });

  test('HTTP/1.0 and Connection: close get the whole body, then the close', async () => {
    for (const raw of ['GET /whole HTTP/1.0\r\n\r\n', get('/whole', 'Connection: close\r\n')]) {
      const client = await Client.connect(server.port);
      try {
        client.write(raw);
        const response = await client.response();
        assert.equal(response.header('connection'), 'close');
        assert.ok(response.body.equals(wholeBody(1024 * KiB)));
        assert.equal(await client.closed(), true);
      } finally {
        client.close();
      }
    }
  });

  test("the application's Content-Length is obeyed: a shorter one cuts the body, a longer one closes the connection", async () => {
    const shorter = await request(server.port, get('/whole?kb=512&cl=-1000'));
    assert.equal(shorter.header('content-length'), String(512 * KiB - 1000));
    assert.ok(shorter.body.equals(wholeBody(512 * KiB).subarray(0, 512 * KiB - 1000)));

    const client = await Client.connect(server.port);
    try {
      client.write(get('/whole?kb=512&cl=10'));
      await assert.rejects(client.response({ timeoutMs: 5000 }), /connection closed/);
    } finally {
      client.close();
    }
  });

  test('HEAD and 204 answers carry no body', async () => {
    const head = await request(server.port, `HEAD /whole?kb=512&cl=0 HTTP/1.1\r\nHost: x\r\n\r\n`, { head: true });
    assert.equal(head.status, 200);
    assert.equal(head.header('content-length'), String(512 * KiB));
    const client = await Client.connect(server.port);
    try {
      client.write(get('/whole?kb=512&status=204%20No%20Content') + get('/hello'));
      const none = await client.response();
      assert.equal(none.status, 204);
      assert.equal(none.body.length, 0);
      assert.equal((await client.response()).body.toString(), 'hello', 'no stray body bytes before the next response');
    } finally {
      client.close();
    }
  });

  test('clients that leave in the middle cost the host no descriptor', async () => {
    for (let i = 0; i < 10; i++) {
      const client = await Client.connect(server.port);
      client.write(get('/whole?kb=8192'));
      await sleep(20);
      client.socket.resetAndDestroy();
    }
    assert.equal(await settledSockets(host, baseline), baseline, 'the host kept client sockets open');
    const again = await request(server.port, get('/whole?kb=256'));
    assert.ok(again.body.equals(wholeBody(256 * KiB)));
    assert.equal(await settledSockets(host, baseline), baseline);
  });

  test('a client that stops reading is dropped after the request timeout, and the host lets go of its socket', async () => {
    const client = await Client.connect(server.port);
    try {
      client.socket.pause(); // read nothing: 64 MiB cannot fit in the socket buffers
      client.write(get('/whole?kb=65536'));
      await sleep(1000);
      assert.ok(hostSockets(host) > baseline, 'the host is not writing to the client');
      // The host waits 2 s (--request-timeout) for the client to accept a byte.
      assert.equal(await settledSockets(host, baseline), baseline, 'the host kept the stalled socket open');
      let received = 0;
      client.socket.on('data', (d: Buffer) => (received += d.length));
      client.socket.resume();
      assert.equal(await client.closed(5000), true, 'the stalled connection was never closed');
      assert.ok(received < 64 * 1024 * KiB, 'the whole body arrived after all');
    } finally {
      client.close();
    }
    assert.equal((await request(server.port, get('/hello'))).body.toString(), 'hello');
  });
});

describe('two processes (connections dealt by the supervisor)', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('bulk_app:app', { args: ['-p', '2', '-t', '2'] });
  });
  after(async () => {
    await server.stop();
  });

  test('whole bodies arrive intact on keep-alive connections to both workers', async () => {
    const clients = await Promise.all([Client.connect(server.port), Client.connect(server.port), Client.connect(server.port)]);
    try {
      for (let round = 0; round < 3; round++) {
        for (const c of clients) c.write(get('/whole?kb=700'));
        for (const c of clients) assert.ok((await c.response()).body.equals(wholeBody(700 * KiB)));
      }
    } finally {
      for (const c of clients) c.close();
    }
  });
});

describe('TLS (bodies stay on the bridge: the host cannot write through TLS)', () => {
  let server: RunningServer;
  before(async () => {
    const { cert, key } = makeTlsCert();
    server = await startServer('bulk_app:app', { args: ['--tls-cert', cert, '--tls-key', key] });
  });
  after(async () => {
    await server.stop();
  });

  test('a 1 MiB whole body and a 1 MiB file arrive intact over TLS', async () => {
    for (const path of ['/whole?kb=1024', '/file?kb=1024']) {
    const data = await new Promise<Buffer>((resolve, reject) => {
      const socket = tls.connect({ port: server.port, host: '127.0.0.1', rejectUnauthorized: false }, () => {
        socket.write(get(path, 'Connection: close\r\n'));
      });
      const parts: Buffer[] = [];
      socket.on('data', (d: Buffer) => parts.push(d));
      socket.on('end', () => resolve(Buffer.concat(parts)));
      socket.on('error', reject);
    });
    const split = data.indexOf('\r\n\r\n');
    assert.match(data.toString('latin1', 0, split), /^HTTP\/1\.1 200 OK\r\n[^]*Content-Length: 1048576/);
    assert.ok(data.subarray(split + 4).equals(wholeBody(1024 * KiB)), `${path}: body differs`);
    }
  });
});
