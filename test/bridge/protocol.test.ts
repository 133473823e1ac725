import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import {
  Frame, FrameDecoder, FrameType, MAX_PAYLOAD, ProtocolError, decodeDirectPayload, decodeFilePayload, decodeResponsePayload, encodeDirectGoFrame,
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

test('with DATA streamed, a DATA frame split across reads is handed on in pieces that are subarrays of the reads, never joined', () => {
  const body = Buffer.from(Array.from({ length: 70_000 }, (_, i) => (i * 31) & 0xff));
  const stream = Buffer.concat([
    encodeFrame(FrameType.HEAD, 3, encodeResponsePayload('200 OK', Buffer.alloc(0))),
    encodeFrame(FrameType.DATA, 3, body),
    encodeFrame(FrameType.DATA, 3, Buffer.alloc(0)),
    encodeFrame(FrameType.END, 3),
  ]);
  for (const step of [1, 4, 9, 10, 4096, 65_536, stream.length]) {
    const decoder = new FrameDecoder(new Set([FrameType.DATA]));
    const seen: Array<{ type: number; stream: number; payload: Buffer; fromRead: boolean }> = [];
    for (let i = 0; i < stream.length; i += step) {
      const read = Buffer.from(stream.subarray(i, i + step)); // its own memory, as a socket read is
      decoder.push(read, (f) => seen.push({ ...f, payload: Buffer.from(f.payload), fromRead: f.payload.length === 0 || f.payload.buffer === read.buffer }));
    }
    const types = seen.map((f) => f.type).filter((t, i, all) => t !== FrameType.DATA || all[i - 1] !== FrameType.DATA);
    assert.deepEqual(types, [FrameType.HEAD, FrameType.DATA, FrameType.END], `step ${step}`);
    const data = seen.filter((f) => f.type === FrameType.DATA);
    assert.ok(data.every((f) => f.stream === 3 && f.fromRead), `step ${step}: a DATA piece was copied`);
    assert.ok(data.every((f) => f.payload.length <= step), `step ${step}: a DATA piece spans reads`);
    assert.ok(Buffer.concat(data.map((f) => f.payload)).equals(body), `step ${step}: DATA bytes differ`);
    // The empty DATA frame is still handed on, once.
    assert.equal(data.filter((f) => f.payload.length === 0).length, 1, `step ${step}`);
  }
});

test('without streamed types, a frame split across reads still arrives whole', () => {
  const body = Buffer.alloc(70_000, 7);
  const frame = encodeFrame(FrameType.DATA, 1, body);
  const frames = decodeAll([frame.subarray(0, 5), frame.subarray(5, 40_000), frame.subarray(40_000)]);
  assert.equal(frames.length, 1);
  assert.ok((frames[0] as Frame).payload.equals(body));
});

test('a streamed frame whose header is bad is refused before any piece is handed on', () => {
  const decoder = new FrameDecoder(new Set([FrameType.DATA]));
  const header = Buffer.alloc(9);
  header.writeUInt32BE(MAX_PAYLOAD + 1, 0);
  header[4] = FrameType.DATA;
  let pieces = 0;
  decoder.push(header.subarray(0, 4), () => pieces++);
  assert.throws(() => decoder.push(Buffer.concat([header.subarray(4), Buffer.alloc(100)]), () => pieces++), ProtocolError);
  assert.equal(pieces, 0);
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
