// The worker <-> host frame codec. The wire format is specified in
// docs/protocol.md; python/yimmo_host/protocol.py is the other half, and both
// decode test/golden/frames.json. Pure: no I/O, no imports from the server.

export const PROTOCOL_VERSION = 1;
export const HEADER_BYTES = 9;
export const MAX_PAYLOAD = 16 * 1024 * 1024;

export const FrameType = {
  // host -> worker, stream 0
  HELLO: 0x01,
  LOAD_ERROR: 0x02,
  // worker -> host
  REQUEST: 0x10,
  BODY: 0x11,
  BODY_END: 0x12,
  BODY_ERROR: 0x13,
  CREDIT: 0x14,
  CANCEL: 0x15,
  FILE_DONE: 0x16,
  DUMP_STACK: 0x17,
  DIRECT_GO: 0x18,
  FORGET: 0x19,
  DIRECT_REFUSED: 0x1a,
  /** Stream 0: asks the host for its STATUS_REPLY (threads, queue, a stack); see docs/protocol.md. */
  STATUS: 0x1f,
  // host -> worker
  HEAD: 0x20,
  HEAD_END: 0x21,
  DATA: 0x22,
  END: 0x23,
  FILE: 0x24,
  ABORT: 0x25,
  CONTINUE: 0x26,
  WINDOW: 0x27,
  DIRECT: 0x28,
  DIRECT_UNDONE: 0x29,
  STATUS_REPLY: 0x2f,
} as const;
export type FrameTypeCode = (typeof FrameType)[keyof typeof FrameType];

const KNOWN_TYPES = new Set<number>(Object.values(FrameType));

export interface Frame {
  readonly type: number;
  readonly stream: number;
  readonly payload: Buffer;
}

export class ProtocolError extends Error {}

export function frameHeader(type: number, stream: number, payloadLength: number): Buffer {
  const header = Buffer.allocUnsafe(HEADER_BYTES);
  header.writeUInt32BE(payloadLength, 0);
  header[4] = type;
  header.writeUInt32BE(stream, 5);
  return header;
}

/** A whole frame in one buffer; for small payloads, where one copy beats two writes. */
export function encodeFrame(type: number, stream: number, payload?: Buffer): Buffer {
  const length = payload === undefined ? 0 : payload.length;
  const frame = Buffer.allocUnsafe(HEADER_BYTES + length);
  frame.writeUInt32BE(length, 0);
  frame[4] = type;
  frame.writeUInt32BE(stream, 5);
  if (payload !== undefined) payload.copy(frame, HEADER_BYTES);
  return frame;
}

/** A frame whose payload is latin-1 text, encoded straight into the frame buffer. */
export function encodeTextFrame(type: number, stream: number, latin1: string): Buffer {
  const length = latin1.length; // latin-1: one byte per code unit
  const frame = Buffer.allocUnsafe(HEADER_BYTES + length);
  frame.writeUInt32BE(length, 0);
  frame[4] = type;
  frame.writeUInt32BE(stream, 5);
  frame.write(latin1, HEADER_BYTES, length, 'latin1');
  return frame;
}

export function encodeU32Frame(type: number, stream: number, value: number): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + 4);
  frame.writeUInt32BE(4, 0);
  frame[4] = type;
  frame.writeUInt32BE(stream, 5);
  frame.writeUInt32BE(value, HEADER_BYTES);
  return frame;
}

export interface ResponsePayload {
  /** Latin-1 `STATUS\0NAME\0VALUE...`, split by parseResponseHead. */
  readonly head: string;
  readonly body: Buffer;
}

/** Payload of HEAD / HEAD_END: u32 head length, the head, then body bytes. */
export function decodeResponsePayload(payload: Buffer): ResponsePayload {
  if (payload.length < 4) throw new ProtocolError('response payload shorter than its length prefix');
  const headLength = payload.readUInt32BE(0);
  if (4 + headLength > payload.length) throw new ProtocolError('response head longer than its payload');
  return {
    head: payload.toString('latin1', 4, 4 + headLength),
    body: payload.subarray(4 + headLength),
  };
}

export function encodeResponsePayload(head: string, body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(4 + head.length + body.length);
  out.writeUInt32BE(head.length, 0);
  out.write(head, 4, head.length, 'latin1');
  body.copy(out, 4 + head.length);
  return out;
}

export interface DirectRequest {
  /** Latin-1 `STATUS\0NAME\0VALUE...`, as in HEAD. */
  readonly head: string;
  /** Body bytes the host will write to the client itself. */
  readonly length: number;
}

/** Payload of DIRECT: u32 head length, the head, u64 body length. */
export function decodeDirectPayload(payload: Buffer): DirectRequest {
  if (payload.length < 12) throw new ProtocolError('DIRECT payload too short');
  const headLength = payload.readUInt32BE(0);
  if (4 + headLength + 8 !== payload.length) throw new ProtocolError('DIRECT payload length disagrees with its head length');
  return {
    head: payload.toString('latin1', 4, 4 + headLength),
    length: Number(payload.readBigUInt64BE(4 + headLength)),
  };
}

export function encodeDirectPayload(direct: DirectRequest): Buffer {
  const out = Buffer.allocUnsafe(4 + direct.head.length + 8);
  out.writeUInt32BE(direct.head.length, 0);
  out.write(direct.head, 4, direct.head.length, 'latin1');
  out.writeBigUInt64BE(BigInt(direct.length), 4 + direct.head.length);
  return out;
}

/** A whole DIRECT_GO frame: u32 connection ID, then the HTTP head the host writes before the body. */
export function encodeDirectGoFrame(stream: number, connection: number, httpHead: Buffer): Buffer {
  const frame = Buffer.allocUnsafe(HEADER_BYTES + 4 + httpHead.length);
  frame.writeUInt32BE(4 + httpHead.length, 0);
  frame[4] = FrameType.DIRECT_GO;
  frame.writeUInt32BE(stream, 5);
  frame.writeUInt32BE(connection, HEADER_BYTES);
  httpHead.copy(frame, HEADER_BYTES + 4);
  return frame;
}

/** STATUS payload: u32 query id, u32 stream whose Python stack is wanted (0: none). */
export function encodeStatusQuery(query: number, stackOf: number): Buffer {
  const out = Buffer.allocUnsafe(8);
  out.writeUInt32BE(query, 0);
  out.writeUInt32BE(stackOf, 4);
  return out;
}

export function decodeStatusQuery(payload: Buffer): { readonly query: number; readonly stackOf: number } {
  if (payload.length !== 8) throw new ProtocolError('STATUS payload must be 8 bytes');
  return { query: payload.readUInt32BE(0), stackOf: payload.readUInt32BE(4) };
}

/** What a host says about itself in STATUS_REPLY (UTF-8 JSON after the u32 query id). */
export interface HostStatusReport {
  /** Application threads. */
  readonly threads: number;
  /** Threads running a request now. */
  readonly busy: number;
  /** Requests waiting for a free thread. */
  readonly queued: number;
  /** Seconds requests waited for a thread, since the host started: counts[i] <= bounds[i], the last +Inf. */
  readonly wait: { readonly bounds: number[]; readonly counts: number[]; readonly sum: number; readonly count: number };
  /** Stream id -> name of the thread running it, for streams a thread has taken. */
  readonly streams: Record<string, string>;
  /** The stack of the asked-for stream's thread; null when none was asked or it runs in no thread. */
  readonly stack: string | null;
}

export function decodeStatusReply(payload: Buffer): { readonly query: number; readonly report: HostStatusReport } {
  if (payload.length < 4) throw new ProtocolError('STATUS_REPLY payload too short');
  let report: unknown;
  try {
    report = JSON.parse(payload.toString('utf8', 4));
  } catch (err) {
    throw new ProtocolError(`STATUS_REPLY is not JSON: ${(err as Error).message}`);
  }
  const r = report as Partial<HostStatusReport> | null;
  if (r === null || typeof r !== 'object' || typeof r.threads !== 'number' || typeof r.wait !== 'object' || typeof r.streams !== 'object') {
    throw new ProtocolError('STATUS_REPLY lacks threads, wait or streams');
  }
  return { query: payload.readUInt32BE(0), report: report as HostStatusReport };
}

export function encodeStatusReply(query: number, report: HostStatusReport): Buffer {
  const json = Buffer.from(JSON.stringify(report), 'utf8');
  const out = Buffer.allocUnsafe(4 + json.length);
  out.writeUInt32BE(query, 0);
  json.copy(out, 4);
  return out;
}

export interface FileRequest {
  readonly offset: number;
  /** Bytes to send, or undefined for "to the end of the file". */
  readonly count: number | undefined;
  readonly path: string;
}

const TO_END = 0xffffffffffffffffn;

export function decodeFilePayload(payload: Buffer): FileRequest {
  if (payload.length < 17) throw new ProtocolError('FILE payload too short');
  const offset = payload.readBigUInt64BE(0);
  const count = payload.readBigUInt64BE(8);
  return {
    offset: Number(offset),
    count: count === TO_END ? undefined : Number(count),
    path: payload.toString('utf8', 16),
  };
}

export function encodeFilePayload(file: FileRequest): Buffer {
  const path = Buffer.from(file.path, 'utf8');
  const out = Buffer.allocUnsafe(16 + path.length);
  out.writeBigUInt64BE(BigInt(file.offset), 0);
  out.writeBigUInt64BE(file.count === undefined ? TO_END : BigInt(file.count), 8);
  path.copy(out, 16);
  return out;
}

/**
 * Turns a byte stream into frames. Payloads that arrived in one chunk are
 * subarrays of it (no copy). A frame split across reads is joined, except
 * frames of the `streamed` types (DATA): those are handed on in pieces as
 * their bytes arrive, each piece a subarray of the read it came in. Joining
 * them would copy every response body once more (with 64 KiB chunks almost
 * every DATA frame straddles two reads): allocation churn that the garbage
 * collector and malloc give back late, if at all (bench/results/profile.md).
 */
export class FrameDecoder {
  /** Bytes of an incomplete header, or of an incomplete frame of a joined type. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** The streamed frame whose payload is still arriving. */
  private piece: { type: number; stream: number; remaining: number } | undefined;

  constructor(private readonly streamed: ReadonlySet<number> = NO_TYPES) {}

  /** Decodes every complete frame in `chunk` (plus earlier leftovers) and hands each to `onFrame`. */
  push(chunk: Buffer, onFrame: (frame: Frame) => void): void {
    let data = chunk;
    let offset = 0;
    if (this.piece !== undefined) {
      offset = this.continuePiece(data, 0, onFrame);
    } else if (this.pendingBytes > 0 && this.pendingBytes < HEADER_BYTES) {
      // Complete the header from the chunk's first bytes: the chunk itself is not copied.
      const take = Math.min(HEADER_BYTES - this.pendingBytes, data.length);
      this.pending.push(data.subarray(0, take));
      this.pendingBytes += take;
      if (this.pendingBytes < HEADER_BYTES) return;
      const header = Buffer.concat(this.pending, HEADER_BYTES);
      this.pending = [];
      this.pendingBytes = 0;
      const { type, stream, length } = readHeader(header, 0);
      offset = take;
      if (this.streamed.has(type)) {
        this.piece = { type, stream, remaining: length };
        if (length === 0) this.endPiece(onFrame);
        else offset = this.continuePiece(data, offset, onFrame);
      } else {
        this.pending.push(header);
        this.pendingBytes = HEADER_BYTES;
      }
    }
    if (this.pendingBytes > 0) {
      // A joined frame whose header we know: wait for all of it, then decode from the join.
      const rest = data.subarray(offset);
      this.pending.push(rest);
      this.pendingBytes += rest.length;
      const first = this.pending[0] as Buffer;
      if (this.pendingBytes < HEADER_BYTES + first.readUInt32BE(0)) return;
      data = Buffer.concat(this.pending, this.pendingBytes);
      this.pending = [];
      this.pendingBytes = 0;
      offset = 0;
    }
    while (data.length - offset >= HEADER_BYTES) {
      const { type, stream, length } = readHeader(data, offset);
      const end = offset + HEADER_BYTES + length;
      if (end > data.length) {
        if (!this.streamed.has(type)) break;
        this.piece = { type, stream, remaining: length };
        this.continuePiece(data, offset + HEADER_BYTES, onFrame);
        return;
      }
      onFrame({ type, stream, payload: data.subarray(offset + HEADER_BYTES, end) });
      offset = end;
    }
    if (offset < data.length) {
      const rest = data.subarray(offset);
      this.pending.push(rest);
      this.pendingBytes = rest.length;
    }
  }

  /** Hands on the part of the current piece in `data` from `offset`; returns the offset after it. */
  private continuePiece(data: Buffer, offset: number, onFrame: (frame: Frame) => void): number {
    const piece = this.piece as { type: number; stream: number; remaining: number };
    const n = Math.min(piece.remaining, data.length - offset);
    if (n === 0) return offset;
    piece.remaining -= n;
    if (piece.remaining === 0) this.piece = undefined;
    onFrame({ type: piece.type, stream: piece.stream, payload: data.subarray(offset, offset + n) });
    return offset + n;
  }

  /** A streamed frame with an empty payload: handed on once, as any empty frame. */
  private endPiece(onFrame: (frame: Frame) => void): void {
    const piece = this.piece as { type: number; stream: number };
    this.piece = undefined;
    onFrame({ type: piece.type, stream: piece.stream, payload: EMPTY });
  }
}

const NO_TYPES: ReadonlySet<number> = new Set();
const EMPTY = Buffer.alloc(0);

function readHeader(data: Buffer, offset: number): { type: number; stream: number; length: number } {
  const length = data.readUInt32BE(offset);
  if (length > MAX_PAYLOAD) throw new ProtocolError(`frame of ${length} bytes exceeds the maximum`);
  const type = data[offset + 4] as number;
  if (!KNOWN_TYPES.has(type)) throw new ProtocolError(`unknown frame type 0x${type.toString(16)}`);
  return { type, stream: data.readUInt32BE(offset + 5), length };
}
