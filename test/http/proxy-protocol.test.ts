// The PROXY protocol v1/v2 header parser (src/http/proxy-protocol.ts), on
// headers built byte by byte from HAProxy's proxy-protocol.txt.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { V2_SIGNATURE, mayBeProxyHeader, parseProxyHeader, type ProxyHeader } from '../../src/http/proxy-protocol';
import { Prng } from './prng';

const b = (s: string): Buffer => Buffer.from(s, 'latin1');

function v2(verCmd: number, famProto: number, body: Buffer, declared = body.length): Buffer {
  const head = Buffer.alloc(4);
  head[0] = verCmd;
  head[1] = famProto;
  head.writeUInt16BE(declared, 2);
  return Buffer.concat([V2_SIGNATURE, head, body]);
}
function ipv4Block(src: number[], dst: number[], sport: number, dport: number): Buffer {
  const out = Buffer.alloc(12);
  out.set(src, 0);
  out.set(dst, 4);
  out.writeUInt16BE(sport, 8);
  out.writeUInt16BE(dport, 10);
  return out;
}
function tlv(type: number, value: Buffer): Buffer {
  const out = Buffer.alloc(3);
  out[0] = type;
  out.writeUInt16BE(value.length, 1);
  return Buffer.concat([out, value]);
}
function header(data: Buffer): ProxyHeader {
  const r = parseProxyHeader(data);
  assert.equal(r.kind, 'header', JSON.stringify(r));
  return (r as { header: ProxyHeader }).header;
}
function reason(data: Buffer): string {
  const r = parseProxyHeader(data);
  assert.equal(r.kind, 'error', JSON.stringify(r));
  return (r as { reason: string }).reason;
}

test('a v1 TCP4 line gives the source address and port and its own length', () => {
  const line = 'PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n';
  const h = header(b(line + 'GET / HTTP/1.1\r\n'));
  assert.deepEqual(h, { version: 1, source: { address: '192.0.2.1', port: 56324 }, ssl: false, length: line.length });
});

test('a v1 TCP6 line gives the IPv6 source', () => {
  const h = header(b('PROXY TCP6 2001:db8::1 2001:db8::2 65535 80\r\n'));
  assert.deepEqual(h.source, { address: '2001:db8::1', port: 65535 });
});

test('a v1 UNKNOWN line means the connection\'s own endpoints', () => {
  const h = header(b('PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\nGET'));
  assert.equal(h.source, null);
  assert.equal(h.length, 'PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n'.length);
});

test('a v1 line arriving in pieces needs more until its CRLF', () => {
  const line = b('PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\n');
  for (let n = 1; n < line.length; n++) assert.equal(parseProxyHeader(line.subarray(0, n)).kind, 'needMore', `at ${n}`);
  assert.equal(parseProxyHeader(line).kind, 'header');
});

test('malformed v1 lines are errors', () => {
  for (const line of [
    'PROXY TCP4 192.0.2.1 198.51.100.7 56324\r\n',
    'PROXY TCP4 192.0.2.1  198.51.100.7 56324 443\r\n',
    'PROXY TCP4 192.0.2.256 198.51.100.7 56324 443\r\n',
    'PROXY TCP4 2001:db8::1 198.51.100.7 56324 443\r\n',
    'PROXY TCP6 192.0.2.1 2001:db8::2 1 2\r\n',
    'PROXY TCP4 192.0.2.1 198.51.100.7 65536 443\r\n',
    'PROXY TCP4 192.0.2.1 198.51.100.7 0443 443\r\n',
    'PROXY TCP4 192.0.2.1 198.51.100.7 -1 443\r\n',
    'PROXY UDP4 192.0.2.1 198.51.100.7 1 2\r\n',
    'PROXY TCP4 192.0.2.1 198.51.100.7 1 2\n',
  ]) {
    const r = parseProxyHeader(b(line));
    assert.notEqual(r.kind, 'header', line);
  }
  assert.match(reason(b('PROXY ' + 'x'.repeat(120))), /longer than 107/);
});

test('anything that is not a header is an error; mayBeProxyHeader rules it out from the first differing byte', () => {
  assert.match(reason(b('GET / HTTP/1.1\r\n')), /no PROXY protocol header/);
  assert.equal(mayBeProxyHeader(b('G')), false);
  assert.equal(mayBeProxyHeader(b('PROP')), false); // PROPFIND
  assert.equal(mayBeProxyHeader(b('PROX')), true);
  assert.equal(mayBeProxyHeader(b('\r\n\r\n\0')), true);
  assert.equal(mayBeProxyHeader(Buffer.from([0x16, 0x03, 0x01])), false); // a TLS ClientHello
});

test('a v2 PROXY TCP4 header gives the source; its length is 16 + the declared length', () => {
  const data = v2(0x21, 0x11, ipv4Block([203, 0, 113, 9], [10, 0, 0, 1], 40000, 8080));
  const h = header(Buffer.concat([data, b('GET')]));
  assert.deepEqual(h, { version: 2, source: { address: '203.0.113.9', port: 40000 }, ssl: false, length: 28 });
});

test('a v2 PROXY TCP6 header gives the compressed IPv6 source', () => {
  const block = Buffer.alloc(36);
  block.set([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x17], 0);
  block.writeUInt16BE(4711, 32);
  assert.deepEqual(header(v2(0x21, 0x21, block)).source, { address: '2001:db8::17', port: 4711 });
});

test('a v2 TCP6 header with an IPv4-mapped client gives ::ffff:a.b.c.d, as Node writes it', () => {
  const block = Buffer.alloc(36);
  block.set([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 1], 0);
  block.writeUInt16BE(80, 32);
  assert.deepEqual(header(v2(0x21, 0x21, block)).source, { address: '::ffff:192.0.2.1', port: 80 });
});

test('a v2 SSL TLV with the client bit says the client used TLS; other TLVs are skipped', () => {
  const ssl = Buffer.concat([Buffer.from([0x01, 0, 0, 0, 0]), tlv(0x21, b('TLSv1.3'))]);
  const body = Buffer.concat([ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), tlv(0x05, b('unique')), tlv(0x20, ssl)]);
  assert.equal(header(v2(0x21, 0x11, body)).ssl, true);
  const noClientBit = Buffer.concat([ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), tlv(0x20, Buffer.from([0, 0, 0, 0, 0]))]);
  assert.equal(header(v2(0x21, 0x11, noClientBit)).ssl, false);
});

test('v2 LOCAL (a health check) and UNSPEC mean the connection\'s own endpoints', () => {
  assert.deepEqual(header(v2(0x20, 0x00, Buffer.alloc(0))), { version: 2, source: null, ssl: false, length: 16 });
  // LOCAL may still carry addresses: they are skipped with the declared length.
  assert.equal(header(v2(0x20, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2))).length, 28);
  assert.equal(header(v2(0x21, 0x00, Buffer.alloc(0))).source, null);
});

test('a v2 header in pieces needs more until its declared length', () => {
  const data = v2(0x21, 0x11, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2));
  for (let n = 1; n < data.length; n++) assert.equal(parseProxyHeader(data.subarray(0, n)).kind, 'needMore', `at ${n}`);
});

test('v2 headers that lie about their length, declare unknown families or versions are errors', () => {
  assert.match(reason(v2(0x21, 0x11, Buffer.alloc(4))), /too short for its address family/);
  assert.match(reason(v2(0x21, 0x21, Buffer.alloc(12))), /too short/);
  assert.match(reason(v2(0x21, 0x41, Buffer.alloc(12))), /unknown family/);
  assert.match(reason(v2(0x21, 0x13, Buffer.alloc(12))), /unknown family/);
  assert.match(reason(v2(0x11, 0x11, Buffer.alloc(12))), /version 1/);
  assert.match(reason(v2(0x22, 0x11, Buffer.alloc(12))), /unknown command/);
  assert.match(reason(v2(0x21, 0x11, Buffer.alloc(0), 65535)), /header of 65535 bytes/);
  assert.match(reason(v2(0x21, 0x12, ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2))), /datagram/);
  // A TLV whose length runs past the header.
  const overrun = Buffer.concat([ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), Buffer.from([0x05, 0x00, 0x09, 0x41])]);
  assert.match(reason(v2(0x21, 0x11, overrun)), /malformed TLV/);
});

test('mutated headers never throw, never claim more bytes than they were given, and agree with their prefixes', () => {
  const seeds = [
    b('PROXY TCP4 192.0.2.1 198.51.100.7 56324 443\r\nGET / HTTP/1.1\r\n'),
    b('PROXY TCP6 2001:db8::1 2001:db8::2 1 2\r\n'),
    v2(0x21, 0x11, Buffer.concat([ipv4Block([1, 2, 3, 4], [5, 6, 7, 8], 1, 2), tlv(0x20, Buffer.from([1, 0, 0, 0, 0]))])),
    v2(0x20, 0x00, Buffer.alloc(0)),
  ];
  for (let seed = 1; seed <= 3000; seed++) {
    const rng = new Prng(seed);
    const data = Buffer.from(rng.pick(seeds));
    for (let k = 1 + rng.int(4); k > 0; k--) data[rng.int(data.length)] = rng.int(256);
    const cut = data.subarray(0, rng.int(data.length + 1));
    const whole = parseProxyHeader(data);
    const part = parseProxyHeader(cut);
    if (whole.kind === 'header') {
      assert.ok(whole.header.length <= data.length, `seed ${seed}`);
      // A prefix that holds the whole header parses the same; a shorter one needs more.
      if (cut.length >= whole.header.length) assert.deepEqual(part, whole, `seed ${seed}`);
      else assert.equal(part.kind, 'needMore', `seed ${seed}`);
    }
    if (part.kind === 'header') assert.ok(part.header.length <= cut.length, `seed ${seed}`);
  }
});
