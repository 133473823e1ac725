// The PROXY protocol pre-stage over real sockets (--proxy-protocol): the
// client address (and, for v2 with the SSL TLV, the scheme) come from the
// header; bad, missing, slow or forged headers close the connection before
// the parser or the app see a byte; with TLS the header comes first.
import { after, before, describe, test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Client, get, makeTlsCert, startServer, type RunningServer } from '../support/server';
import { V2_SIGNATURE } from '../../src/http/proxy-protocol';

type Seen = Record<string, string | null>;
const REQ = 'GET /who HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n';

function v2(verCmd: number, famProto: number, body: Buffer, declared = body.length): Buffer {
  const head = Buffer.from([verCmd, famProto, 0, 0]);
  head.writeUInt16BE(declared, 2);
  return Buffer.concat([V2_SIGNATURE, head, body]);
}
function v4Block(src: number[], sport: number, tlvs: Buffer = Buffer.alloc(0)): Buffer {
  const out = Buffer.alloc(12);
  out.set(src, 0);
  out.set([127, 0, 0, 1], 4);
  out.writeUInt16BE(sport, 8);
  out.writeUInt16BE(80, 10);
  return Buffer.concat([out, tlvs]);
}

/** Sends `data`; resolves with the JSON the app saw, or throws. */
async function exchange(port: number, data: Buffer | string): Promise<Seen> {
  const client = await Client.connect(port);
  try {
    client.write(data);
    const r = await client.response();
    assert.equal(r.status, 200, r.body.toString());
    return JSON.parse(r.body.toString()) as Seen;
  } finally {
    client.close();
  }
}

/** Sends `data` (in pieces, `gapMs` apart); resolves with what came back and when the server closed. */
async function refused(port: number, pieces: Array<Buffer | string>, gapMs = 0, waitMs = 8000): Promise<{ bytes: number; closedAfterMs: number }> {
  const socket = net.connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const started = Date.now();
  let bytes = 0;
  socket.on('data', (d: Buffer) => (bytes += d.length));
  socket.on('error', () => undefined);
  const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now() - started)));
  for (const piece of pieces) {
    if (socket.destroyed) break;
    socket.write(typeof piece === 'string' ? Buffer.from(piece, 'latin1') : piece);
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
  const timer = setTimeout(() => socket.destroy(new Error('still open')), waitMs);
  const closedAfterMs = await closed;
  clearTimeout(timer);
  assert.ok(closedAfterMs < waitMs, 'the server kept the connection open');
  return { bytes, closedAfterMs };
}

describe('PROXY protocol from an allowed peer', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('peer_app:app', { args: ['--proxy-protocol', '--header-timeout', '1'] });
  });
  after(async () => void (await server.stop()));

  test('a v1 TCP4 header sets REMOTE_ADDR and REMOTE_PORT to the client\'s', async () => {
    const env = await exchange(server.port, 'PROXY TCP4 192.0.2.1 127.0.0.1 56324 80\r\n' + REQ);
    assert.equal(env['REMOTE_ADDR'], '192.0.2.1');
    assert.equal(env['REMOTE_PORT'], '56324');
    assert.equal(env['wsgi.url_scheme'], 'http');
  });

  test('a v1 TCP6 header sets an IPv6 client', async () => {
    const env = await exchange(server.port, 'PROXY TCP6 2001:db8::5 ::1 4711 80\r\n' + REQ);
    assert.equal(env['REMOTE_ADDR'], '2001:db8::5');
    assert.equal(env['REMOTE_PORT'], '4711');
  });

  test('a v2 PROXY header sets the client; its SSL TLV with the client bit makes the scheme https', async () => {
    const plain = await exchange(server.port, Buffer.concat([v2(0x21, 0x11, v4Block([203, 0, 113, 9], 40000)), Buffer.from(REQ)]));
    assert.deepEqual([plain['REMOTE_ADDR'], plain['REMOTE_PORT'], plain['wsgi.url_scheme']], ['203.0.113.9', '40000', 'http']);
    const sslTlv = Buffer.from([0x20, 0x00, 0x05, 0x01, 0, 0, 0, 0]);
    const secure = await exchange(server.port, Buffer.concat([v2(0x21, 0x11, v4Block([203, 0, 113, 9], 40001, sslTlv)), Buffer.from(REQ)]));
    assert.equal(secure['wsgi.url_scheme'], 'https');
    assert.equal(secure['SERVER_PORT'], '443');
  });

  test('a v2 LOCAL header (a health check) is served as a direct connection', async () => {
    const env = await exchange(server.port, Buffer.concat([v2(0x20, 0x00, Buffer.alloc(0)), Buffer.from(REQ)]));
    assert.equal(env['REMOTE_ADDR'], '127.0.0.1');
  });

  test('a header arriving in pieces within the deadline is read whole', async () => {
    const client = await Client.connect(server.port);
    try {
      for (const piece of ['PROXY TCP4 19', '2.0.2.77 127.0.0.1 ', '1000 80\r', '\n' + REQ]) {
        client.write(piece);
        await new Promise((r) => setTimeout(r, 50));
      }
      const r = await client.response();
      assert.equal((JSON.parse(r.body.toString()) as Seen)['REMOTE_ADDR'], '192.0.2.77');
    } finally {
      client.close();
    }
  });

  test('a request without a header is closed unanswered', async () => {
    assert.equal((await refused(server.port, [REQ])).bytes, 0);
  });

  test('malformed headers, unknown families and lying lengths are closed unanswered', async () => {
    const cases: Array<[string, Buffer | string]> = [
      ['bad v1 address', 'PROXY TCP4 192.0.2.300 127.0.0.1 1 80\r\n' + REQ],
      ['v1 without CRLF within 107 bytes', 'PROXY TCP4 ' + '1'.repeat(120) + REQ],
      ['v2 unknown family', Buffer.concat([v2(0x21, 0x41, v4Block([1, 2, 3, 4], 1)), Buffer.from(REQ)])],
      ['v2 length too short for TCP6', Buffer.concat([v2(0x21, 0x21, v4Block([1, 2, 3, 4], 1)), Buffer.from(REQ)])],
      // Declares more than it sends: the request is swallowed as TLVs, which do not parse.
      ['v2 length past the addresses', Buffer.concat([v2(0x21, 0x11, v4Block([1, 2, 3, 4], 1), 12 + 20), Buffer.from(REQ)])],
      ['v2 version 3', Buffer.concat([v2(0x31, 0x11, v4Block([1, 2, 3, 4], 1)), Buffer.from(REQ)])],
    ];
    for (const [name, data] of cases) assert.equal((await refused(server.port, [data])).bytes, 0, name);
  });

  test('a header that stalls past the deadline is closed, not before it', async () => {
    // --header-timeout 1: the PROXY deadline is 1 s from accept.
    const { bytes, closedAfterMs } = await refused(server.port, ['PROXY TCP4 192.0.2.1 ', '127.0.0.1 1 80'], 300);
    assert.equal(bytes, 0);
    assert.ok(closedAfterMs >= 950, `closed after ${closedAfterMs} ms`);
  });

  test('garbage after a valid header gets 400 and the request behind it is never served', async () => {
    const client = await Client.connect(server.port);
    try {
      client.write('PROXY TCP4 192.0.2.1 127.0.0.1 1 80\r\nGARBAGE\x01\r\n\r\n' + get('/who'));
      const r = await client.response();
      assert.equal(r.status, 400);
      assert.ok(await client.closed(), 'the connection stays open after the 400');
    } finally {
      client.close();
    }
  });

  test('the next connection is unaffected by a bad one', async () => {
    await refused(server.port, [Buffer.concat([v2(0x21, 0x11, Buffer.alloc(12), 40)])], 0);
    const env = await exchange(server.port, 'PROXY TCP4 192.0.2.2 127.0.0.1 2 80\r\n' + REQ);
    assert.equal(env['REMOTE_ADDR'], '192.0.2.2');
  });
});

describe('PROXY protocol from a peer not in --proxy-allow-ips', () => {
  let server: RunningServer;
  before(async () => {
    server = await startServer('peer_app:app', { args: ['--proxy-protocol', '--proxy-allow-ips', '10.0.0.0/8'] });
  });
  after(async () => void (await server.stop()));

  test('a forged v1 or v2 header is refused: the connection is closed unanswered', async () => {
    assert.equal((await refused(server.port, ['PROXY TCP4 1.1.1.1 127.0.0.1 1 80\r\n' + REQ])).bytes, 0);
    assert.equal((await refused(server.port, [Buffer.concat([v2(0x21, 0x11, v4Block([1, 1, 1, 1], 1)), Buffer.from(REQ)])])).bytes, 0);
  });

  test('a plain request is served as a direct connection', async () => {
    const env = await exchange(server.port, REQ);
    assert.equal(env['REMOTE_ADDR'], '127.0.0.1');
  });
});

describe('PROXY protocol with TLS and with several processes', () => {
  let server: RunningServer;
  before(async () => {
    const { cert, key } = makeTlsCert();
    server = await startServer('peer_app:app', { args: ['--proxy-protocol', '--tls-cert', cert, '--tls-key', key, '--no-proc', '2'] });
  });
  after(async () => void (await server.stop()));

  test('the header comes before the TLS handshake; the app sees the client and https', async () => {
    for (let i = 0; i < 4; i++) {
      const raw = net.connect(server.port, '127.0.0.1');
      await new Promise<void>((resolve, reject) => raw.once('connect', resolve).once('error', reject));
      raw.write(`PROXY TCP4 198.51.100.${i + 1} 127.0.0.1 ${5000 + i} 443\r\n`);
      const socket = tls.connect({ socket: raw, rejectUnauthorized: false, servername: 'localhost' });
      await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
      socket.write(REQ);
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
      await new Promise<void>((resolve) => socket.once('close', () => resolve()).once('end', () => resolve()));
      socket.destroy();
      const body = text.slice(text.indexOf('\r\n\r\n') + 4);
      const env = JSON.parse(body) as Seen;
      assert.equal(env['REMOTE_ADDR'], `198.51.100.${i + 1}`);
      assert.equal(env['REMOTE_PORT'], String(5000 + i));
      assert.equal(env['wsgi.url_scheme'], 'https');
    }
  });
});
