// Helpers shared by the framework, timeout, limit, backpressure and soak
// tests: multipart bodies, process-tree RSS from /proc, timing.
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import { Client, type RawResponse } from '../support/server';

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function sha256(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** Deterministic pseudo-random bytes (xorshift32), so failures reproduce. */
export function pseudoRandomBytes(n: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(n);
  let x = seed >>> 0 || 1;
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out.writeUInt32LE(x, i);
  }
  for (; i < n; i++) out[i] = i & 0xff;
  return out;
}

export interface MultipartFile {
  readonly field: string;
  readonly filename: string;
  readonly contentType: string;
  readonly data: Buffer;
}

/** A multipart/form-data body (RFC 7578) and its Content-Type. */
export function multipart(fields: Readonly<Record<string, string>>, files: readonly MultipartFile[]): { body: Buffer; contentType: string } {
  const boundary = '----yimmo' + crypto.randomBytes(12).toString('hex');
  const parts: Buffer[] = [];
  for (const [name, value] of Object.entries(fields)) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`, 'utf8'));
  }
  for (const f of files) {
    parts.push(
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.filename}"\r\nContent-Type: ${f.contentType}\r\n\r\n`, 'utf8'),
      f.data,
      Buffer.from('\r\n', 'latin1'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`, 'latin1'));
  return { body: Buffer.concat(parts), contentType: `multipart/form-data; boundary=${boundary}` };
}

/** `body` as a chunked message body in pieces of `size` bytes. */
export function chunked(body: Buffer, size = 16 * 1024): Buffer {
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const piece = body.subarray(i, i + size);
    parts.push(Buffer.from(piece.length.toString(16) + '\r\n', 'latin1'), piece, Buffer.from('\r\n', 'latin1'));
  }
  parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return Buffer.concat(parts);
}

/** A request head plus body with the given framing. */
export function post(path: string, body: Buffer, contentType: string, options: { chunked?: boolean; extra?: string } = {}): Buffer {
  const framing = options.chunked === true ? 'Transfer-Encoding: chunked\r\n' : `Content-Length: ${body.length}\r\n`;
  const head = `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: ${contentType}\r\n${framing}${options.extra ?? ''}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), options.chunked === true ? chunked(body) : body]);
}

/** Sends `raw` on a fresh connection and returns the response and the time it took. */
export async function timed(port: number, raw: string | Buffer, timeoutMs = 10_000): Promise<{ response: RawResponse; ms: number }> {
  const started = Date.now();
  const client = await Client.connect(port);
  try {
    client.write(raw);
    const response = await client.response({ timeoutMs });
    return { response, ms: Date.now() - started };
  } finally {
    client.close();
  }
}

// ---- the server's process tree, from /proc --------------------------------

function readStat(pid: number): { ppid: number; state: string } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '?', ppid: Number(rest[1]) };
  } catch {
    return undefined;
  }
}

/** `root` and all its live descendants (zombies excluded). */
export function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat !== undefined && stat.state !== 'Z') parentOf.set(Number(entry), stat.ppid);
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  }
  return tree.filter((pid) => parentOf.has(pid));
}

/** Resident set size of one process in bytes (0 once it is gone). */
export function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? 0 : Number(match[1]) * 1024;
  } catch {
    return 0;
  }
}

/** How many file descriptors `pid` has open (0 once it is gone). */
export function openFds(pid: number): number {
  try {
    return fs.readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return 0;
  }
}

/** Summed RSS of `root` and every descendant, in bytes. */
export function treeRss(root: number): number {
  return processTree(root).reduce((sum, pid) => sum + rssOf(pid), 0);
}

/** Samples treeRss every `everyMs` until stopped; `peak` is the largest sample. */
export class RssSampler {
  peak = 0;
  samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly root: number,
    everyMs = 50,
  ) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  sample(): number {
    const rss = treeRss(this.root);
    this.samples++;
    if (rss > this.peak) this.peak = rss;
    return rss;
  }

  stop(): number {
    clearInterval(this.timer);
    this.sample();
    return this.peak;
  }
}

export const MiB = 1024 * 1024;

// ---- bulk transfers against test/apps/bulk_app.py ---------------------------

const BULK_CHUNK = 65536;
const BULK_BASE = Buffer.from(Array.from({ length: BULK_CHUNK }, (_, i) => i % 256));

export interface BulkResult {
  readonly status: number;
  readonly bytes: number;
  readonly ms: number;
  /** Where the body first differed from the pattern, or why it stopped; '' when intact. */
  readonly problem: string;
}

/**
 * GETs /download?mb=N and checks every byte against the pattern as it
 * arrives, without keeping the body. With `burstBytes`, the socket is paused
 * after each burst for `pauseMs` (a slow reader). With `startPauseMs`, no
 * byte is read for that long after the request is sent (a client that asks,
 * then waits).
 */
export function downloadAndVerify(
  port: number,
  mb: number,
  options: { burstBytes?: number; pauseMs?: number; timeoutMs?: number; startPauseMs?: number } = {},
): Promise<BulkResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let head: Buffer = Buffer.alloc(0);
    let status = 0;
    let expected = -1;
    let offset = 0;
    let burst = 0;
    let problem = '';
    let done = false;
    const finish = (why: string): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status, bytes: offset, ms: Date.now() - started, problem: why });
    };
    const timer = setTimeout(() => finish(`timed out after ${offset} bytes`), options.timeoutMs ?? 60_000);
    const check = (data: Buffer): void => {
      let i = 0;
      while (i < data.length && problem === '') {
        const inChunk = offset % BULK_CHUNK;
        const take = Math.min(BULK_CHUNK - inChunk, data.length - i);
        const want = Buffer.from(BULK_BASE.subarray(inChunk, inChunk + take));
        const k = Math.floor(offset / BULK_CHUNK);
        for (let j = inChunk; j < 4 && j < inChunk + take; j++) want[j - inChunk] = (k >>> (8 * (3 - j))) & 0xff;
        if (!want.equals(data.subarray(i, i + take))) problem = `body differs in chunk ${k} (offset ${offset})`;
        offset += take;
        i += take;
      }
    };
    socket.on('connect', () => {
      socket.write(`GET /download?mb=${mb} HTTP/1.1\r\nHost: x\r\n\r\n`);
      if (options.startPauseMs === undefined) return;
      socket.pause();
      setTimeout(() => socket.resume(), options.startPauseMs);
    });
    socket.on('data', (d: Buffer) => {
      if (expected < 0) {
        head = Buffer.concat([head, d]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const text = head.toString('latin1', 0, end);
        status = Number(text.split(' ')[1]);
        const cl = /\r\ncontent-length: *(\d+)/i.exec(text);
        expected = cl === null ? 0 : Number(cl[1]);
        if (expected !== mb * 1024 * 1024) return finish(`status ${status}, Content-Length ${expected}`);
        d = head.subarray(end + 4);
      }
      check(d);
      if (problem !== '') return finish(problem);
      if (offset >= expected) return finish(offset === expected ? '' : `got ${offset} of ${expected} bytes`);
      if (options.burstBytes !== undefined) {
        burst += d.length;
        if (burst >= options.burstBytes) {
          burst = 0;
          socket.pause();
          setTimeout(() => socket.resume(), options.pauseMs ?? 10);
        }
      }
    });
    socket.on('error', (err) => finish(`socket error ${err.message} after ${offset} bytes`));
    socket.on('close', () => finish(offset === expected ? '' : `closed after ${offset} of ${expected} bytes`));
  });
}

/** The 1 MiB piece i of an upload: the pattern with i stamped in front. */
export function uploadPiece(i: number): Buffer {
  const piece = Buffer.alloc(MiB);
  for (let j = 0; j < MiB; j += BULK_CHUNK) BULK_BASE.copy(piece, j);
  piece.writeUInt32BE(i, 0);
  return piece;
}

/**
 * POSTs `mb` MiB to /upload (Content-Length), honouring the socket's
 * backpressure, and returns the app's answer with the body's real SHA-256.
 */
export function uploadPattern(port: number, mb: number, query = '', timeoutMs = 60_000): Promise<{ status: number; answer: { size?: number; sha256?: string }; sha256: string; ms: number; problem: string }> {
  const started = Date.now();
  const digest = crypto.createHash('sha256');
  return (async () => {
    const client = await Client.connect(port);
    try {
      client.write(`POST /upload${query === '' ? '' : '?' + query} HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\nContent-Length: ${mb * MiB}\r\n\r\n`);
      for (let i = 0; i < mb; i++) {
        const piece = uploadPiece(i);
        digest.update(piece);
        if (client.socket.destroyed) throw new Error(`connection gone after ${i} MiB`);
        if (!client.socket.write(piece)) {
          await new Promise<void>((resolve, reject) => {
            const onDrain = (): void => {
              client.socket.off('close', onClose);
              resolve();
            };
            const onClose = (): void => {
              client.socket.off('drain', onDrain);
              reject(new Error(`connection closed after ${i} MiB`));
            };
            client.socket.once('drain', onDrain);
            client.socket.once('close', onClose);
          });
        }
      }
      const sha = digest.digest('hex');
      const r = await client.response({ timeoutMs });
      const answer = r.status === 200 ? (JSON.parse(r.body.toString()) as { size?: number; sha256?: string }) : {};
      return { status: r.status, answer, sha256: sha, ms: Date.now() - started, problem: '' };
    } catch (err) {
      return { status: 0, answer: {}, sha256: '', ms: Date.now() - started, problem: (err as Error).message };
    } finally {
      client.close();
    }
  })();
}
