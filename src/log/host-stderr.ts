// A Python host's stderr, read by its worker and written to the error log:
// the host's own records (0x1E + JSON, python/yimmo_host/log.py) keep their
// level and message; any other line is something the application (or Python
// itself: a warning, a faulthandler dump) wrote to stderr, and becomes a
// STDERR record. Both carry the host's pid, so a line says which host wrote
// it. Lines are cut at 16 KiB so a writer without newlines cannot grow the
// buffer without bound.
import type { Readable } from 'node:stream';
import { writeRecord } from './logger';

const RS = 0x1e;
const NL = 0x0a;
const MAX_LINE = 16 * 1024;

/** The level of a line the application wrote to stderr (never filtered: it is the application's output). */
export const STDERR_LEVEL = 'STDERR';

export class HostStderr {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly pid: number) {}

  push(chunk: Buffer): void {
    let data = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let nl: number;
    while ((nl = data.indexOf(NL)) >= 0) {
      this.line(data.subarray(0, nl));
      data = data.subarray(nl + 1);
    }
    while (data.length > MAX_LINE) {
      this.line(data.subarray(0, MAX_LINE));
      data = data.subarray(MAX_LINE);
    }
    this.pending = Buffer.from(data); // a copy: `chunk` is not ours to keep
  }

  /** The stream ended: a last line without its newline is still a line. */
  end(): void {
    if (this.pending.length > 0) this.line(this.pending);
    this.pending = Buffer.alloc(0);
  }

  private line(bytes: Buffer): void {
    // A record can follow a partial line the application left without a newline.
    const rs = bytes.indexOf(RS);
    if (rs > 0) this.appLine(bytes.subarray(0, rs));
    if (rs >= 0) this.record(bytes.subarray(rs + 1));
    else this.appLine(bytes);
  }

  private appLine(bytes: Buffer): void {
    let text = bytes.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    writeRecord({ time: Date.now(), level: STDERR_LEVEL, pid: this.pid, message: text });
  }

  private record(bytes: Buffer): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      return this.appLine(bytes); // not ours after all: keep it as the application's
    }
    const r = parsed as { t?: unknown; l?: unknown; m?: unknown };
    const time = typeof r.t === 'number' ? r.t : Date.now();
    writeRecord({ time, level: typeof r.l === 'string' ? r.l : 'ERROR', pid: this.pid, message: String(r.m) });
  }
}

/** Reads `stderr` of the host `pid` until it ends. */
export function relayHostStderr(stderr: Readable | null, pid: number | undefined): void {
  if (stderr === null) return;
  const relay = new HostStderr(pid ?? 0);
  stderr.on('data', (chunk: Buffer) => relay.push(chunk));
  stderr.on('end', () => relay.end());
  stderr.on('error', () => relay.end());
}
