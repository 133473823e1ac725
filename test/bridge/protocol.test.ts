import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import {
  Frame, FrameDecoder, MAX_PAYLOAD, ProtocolError, decodeDirectPayload, decodeFilePayload, decodeResponsePayload, encodeDirectGoFrame,
  encodeDirectPayload, encodeFilePayload, encodeFrame, encodeResponsePayload,
  decodeStatusQuery, decodeStatusReply, encodeStatusQuery, encodeStatusReply,
} from '../../src/bridge/protocol';
import { repoPath } from '../support/repo';

interface Golden { name: string; type: number; stream: number; payload_hex: string; hex: string }
const golden: Golden[] = JSON.parse(fs.readFileSync(repoPath('test', 'golden', 'frames.json'), 'utf8'));

function decodeAll(chunks: Buffer[]): Frame[] {
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  for (const chunk of chunks) decoder.push(chunk, (f) => frames.push({ ...f, payload: Buffer.from(f.payload) }));
  return frames;
}

test('decodes every golden frame and re-encodes it byte for byte', () => {
  for (const g of golden) {
    const [frame] = decodeAll([Buffer.from(g.hex, 'hex')]);
    assert.ok(frame, g.name);
    assert.equal(frame.type, g.type, g.name);
    assert.equal(frame.stream, g.stream, g.name);
    assert.equal(frame.payload.toString('hex'), g.payload_hex, g.name);
    assert.equal(encodeFrame(frame.type, frame.stream, frame.payload).toString('hex'), g.hex, g.name);
  }
});

test('decodes all golden frames from one stream split at every byte', () => {
  const all = Buffer.concat(golden.map((g) => Buffer.from(g.hex, 'hex')));
  for (let step = 1; step <= 13; step += 3) {
    const chunks: Buffer[] = [];
    for (let i = 0; i < all.length; i += step) chunks.push(all.subarray(i, i + step));
    const frames = decodeAll(chunks);
    assert.deepEqual(frames.map((f) => f.payload.toString('hex')), golden.map((g) => g.payload_hex));
  }
});

test('splits a response payload into its head and body', () => {
  const g = golden.find((x) => x.name === 'head');
  assert.ok(g);
  const { head, body } = decodeResponsePayload(Buffer.from(g.payload_hex, 'hex'));
  assert.equal(head, '200 OK\0Content-Type\0text/plain');
  assert.equal(body.toString(), 'Hello');
  assert.equal(encodeResponsePayload(head, body).toString('hex'), g.payload_hex);
});

test('reads a FILE payload with "to the end" as an undefined count', () => {
  const g = golden.find((x) => x.name === 'file');
  assert.ok(g);
  const file = decodeFilePayload(Buffer.from(g.payload_hex, 'hex'));
  assert.deepEqual(file, { offset: 4096, count: undefined, path: '/proc/42/fd/9' });
  assert.equal(encodeFilePayload(file).toString('hex'), g.payload_hex);
});

test('rejects a frame longer than the maximum payload', () => {
  const header = Buffer.alloc(9);
  header.writeUInt32BE(MAX_PAYLOAD + 1, 0);
  header[4] = 0x22;
  assert.throws(() => decodeAll([header]), ProtocolError);
});

test('rejects an unknown frame type', () => {
  assert.throws(() => decodeAll([encodeFrame(0x7f, 1)]), ProtocolError);
});

test('reads a DIRECT payload: the head and the length of the body the host will write', () => {
  const g = golden.find((x) => x.name === 'direct');
  assert.ok(g);
  const direct = decodeDirectPayload(Buffer.from(g.payload_hex, 'hex'));
  assert.deepEqual(direct, { head: '200 OK\0Content-Type\0application/octet-stream', length: 1048576 });
  assert.equal(encodeDirectPayload(direct).toString('hex'), g.payload_hex);
  assert.throws(() => decodeDirectPayload(Buffer.from(g.payload_hex, 'hex').subarray(0, 20)), ProtocolError);
});

test('encodes DIRECT_GO as the golden frame: connection ID, then the HTTP head', () => {
  const g = golden.find((x) => x.name === 'direct_go');
  assert.ok(g);
  const head = Buffer.from(g.payload_hex, 'hex').subarray(4);
  assert.equal(encodeDirectGoFrame(g.stream, 3, head).toString('hex'), g.hex);
});

test('reads the golden STATUS query and STATUS_REPLY and writes them back byte for byte', () => {
  const query = golden.find((x) => x.name === 'status');
  const reply = golden.find((x) => x.name === 'status_reply');
  assert.ok(query && reply);
  assert.deepEqual(decodeStatusQuery(Buffer.from(query.payload_hex, 'hex')), { query: 7, stackOf: 3 });
  assert.equal(encodeStatusQuery(7, 3).toString('hex'), query.payload_hex);
  const decoded = decodeStatusReply(Buffer.from(reply.payload_hex, 'hex'));
  assert.equal(decoded.query, 7);
  assert.deepEqual(decoded.report.streams, { 3: 'yimmo-app-1' });
  assert.match(decoded.report.stack ?? '', /time\.sleep\(5\)/);
  assert.equal(encodeStatusReply(decoded.query, decoded.report).toString('hex'), reply.payload_hex);
  assert.throws(() => decodeStatusReply(Buffer.from('00000001', 'hex')), ProtocolError);
  assert.throws(() => decodeStatusReply(Buffer.from('000000017b7d', 'hex')), ProtocolError); // {} lacks the fields
});
