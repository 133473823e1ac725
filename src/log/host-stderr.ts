// A Python host's stderr, read by its worker and written to the error log:
// the host's own records (0x1E + JSON, python/yimmo_host/log.py) keep their
// level and message; any other line is something the application (or Python
// itself: a warning, a faulthandler dump) wrote to stderr, and becomes a
// STDERR record. Both carry the host's pid, so a line says which host wrote
// it. Lines are cut at 16 KiB so a writer without newlines cannot grow the
// buffer without bound.
//
// A Python traceback the application prints (logging's exc_info, an
// uncaught exception in a thread) arrives as many lines; they stay in one
// record with the line before them: a line continues the record when it is
// indented, is `Traceback (most recent call last):`, or belongs to a chained
// traceback (the exception line after the indented frames, the blank line and
// `During handling...` / `The above exception...` between tracebacks). A
// record is written when a line that does not continue it arrives, when the
// host's own record arrives, when the stream ends, or GROUP_MS after its
// last line.
import type { Readable } from 'node:stream';
import { flushAll } from './log-file';
import { writeRecord } from './logger';

const RS = 0x1e;
const NL = 0x0a;
const MAX_LINE = 16 * 1024;
const MAX_GROUP = 64 * 1024;
const GROUP_MS = 20;
const TRACEBACK = 'Traceback (most recent call last):';

/** The level of a line the application wrote to stderr (never filtered: it is the application's output). */
export const STDERR_LEVEL = 'STDERR';

export class HostStderr {
  private pending: Buffer = Buffer.alloc(0);
  /** The application's record being gathered: its lines, when it started, where in a traceback it is. */
  private group: { lines: string[]; bytes: number; time: number; traceback: 'no' | 'frames' | 'after' } | undefined;
  private timer: NodeJS.Timeout | undefined;

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
    this.flushGroup();
  }

  /** Writes the gathered application record, if any. */
  flushGroup(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const group = this.group;
    if (group === undefined) return;
    this.group = undefined;
    while (group.lines.length > 1 && group.lines[group.lines.length - 1] === '') group.lines.pop();
    writeRecord({ time: group.time, level: STDERR_LEVEL, pid: this.pid, message: group.lines.join('\n') });
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
    const group = this.group;
    const joins = group !== undefined && group.bytes + text.length <= MAX_GROUP && continues(group.traceback, text);
    if (!joins) {
      this.flushGroup();
      this.group = { lines: [text], bytes: text.length, time: Date.now(), traceback: text === TRACEBACK ? 'frames' : 'no' };
    } else {
      group.lines.push(text);
      group.bytes += text.length;
      if (text === TRACEBACK) group.traceback = 'frames';
      else if (group.traceback === 'frames' && !/^\s/.test(text)) group.traceback = 'after'; // the exception line
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flushGroup(), GROUP_MS);
    this.timer.unref();
  }

  private record(bytes: Buffer): void {
    this.flushGroup(); // keep the order of what the host wrote
    let parsed: unknown;
    try {
      parsed = JSON.parse(bytes.toString('utf8'));
    } catch {
      return this.appLine(bytes); // not ours after all: keep it as the application's
    }
    const r = parsed as { t?: unknown; l?: unknown; p?: unknown; m?: unknown };
    const time = typeof r.t === 'number' ? r.t : Date.now();
    const pid = typeof r.p === 'number' ? r.p : this.pid; // a process the application forked has its own
    writeRecord({ time, level: typeof r.l === 'string' ? r.l : 'ERROR', pid, message: String(r.m) });
  }
}

/** Whether `line` continues an application record in the given traceback state (see the header). */
function continues(traceback: 'no' | 'frames' | 'after', line: string): boolean {
  if (line === TRACEBACK || line.startsWith(' ') || line.startsWith('\t')) return true;
  if (traceback === 'frames') return true; // the exception line ending the frames
  if (traceback === 'after') {
    return line === '' || line.startsWith('During handling of the above exception') ||
      line.startsWith('The above exception was the direct cause');
  }
  return false;
}

const live = new Set<HostStderr>();

/** Reads `stderr` of the host `pid` until it ends. */
export function relayHostStderr(stderr: Readable | null, pid: number | undefined): void {
  if (stderr === null) return;
  const relay = new HostStderr(pid ?? 0);
  live.add(relay);
  const done = (): void => {
    live.delete(relay);
    relay.end();
  };
  stderr.on('data', (chunk: Buffer) => relay.push(chunk));
  stderr.on('end', done);
  stderr.on('error', done);
}

// A worker that exits (process.exit) writes what its hosts' relays still
// hold: the last lines before a crash are the ones worth having.
process.on('exit', () => {
  for (const relay of live) relay.end();
  flushAll();
});
