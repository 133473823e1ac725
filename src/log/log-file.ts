// Where log lines go: stdout, stderr, or a file opened with O_APPEND (every
// process of the server appends to the same file, and each write lands whole
// at its end). File lines are gathered and written once per event-loop turn,
// so a busy worker makes one write per batch rather than one per request;
// what is pending is written synchronously when the process exits.
//
// reopenAll() is logrotate's postrotate: a file renamed away keeps receiving
// nothing more; the next line goes to a new file at the configured path.
import * as fs from 'node:fs';

/** '-' for the standard stream of the log (stdout for access, stderr for errors), or an absolute path. */
export type LogTarget = 'stdout' | 'stderr' | { readonly path: string };

const FLUSH_BYTES = 64 * 1024;

export class LogFile {
  private fd: number | undefined;
  private pending: string[] = [];
  private pendingBytes = 0;
  private scheduled = false;

  /** Opens the file now, so an unusable path fails at start-up (throws the fs error). */
  constructor(readonly target: LogTarget) {
    if (typeof target === 'object') this.fd = fs.openSync(target.path, 'a', 0o644);
  }

  write(text: string): void {
    if (this.fd === undefined) {
      // stdout/stderr writes are synchronous for files, pipes and terminals on Linux.
      (this.target === 'stdout' ? process.stdout : process.stderr).write(text);
      return;
    }
    this.pending.push(text);
    this.pendingBytes += text.length;
    if (this.pendingBytes >= FLUSH_BYTES) this.flush();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(flushLater, this);
    }
  }

  /** Writes what is pending, synchronously. */
  flush(): void {
    this.scheduled = false;
    if (this.pending.length === 0 || this.fd === undefined) return;
    const data = Buffer.from(this.pending.join(''), 'utf8');
    this.pending = [];
    this.pendingBytes = 0;
    try {
      let off = 0;
      while (off < data.length) off += fs.writeSync(this.fd, data, off);
    } catch (err) {
      // A full disk must not take the server down; say so where someone may see it.
      process.stderr.write(`yimmo-wsgi: cannot write log file ${this.describe()}: ${(err as Error).message}\n`);
    }
  }

  /** Closes the file and opens the path again (after logrotate renamed it). Throws if it cannot be opened. */
  reopen(): void {
    if (typeof this.target !== 'object') return;
    this.flush();
    const fresh = fs.openSync(this.target.path, 'a', 0o644);
    const old = this.fd;
    this.fd = fresh;
    if (old !== undefined) fs.closeSync(old);
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
  }

  describe(): string {
    return typeof this.target === 'object' ? this.target.path : this.target;
  }
}

function flushLater(file: LogFile): void {
  file.flush();
}

/** Every file opened through openLogFile, by path: the error and access logs may share one. */
const files = new Map<string, LogFile>();

/** The log file for a target; one LogFile per path in a process. Throws the fs error. */
export function openLogFile(target: LogTarget): LogFile {
  if (typeof target !== 'object') return new LogFile(target);
  let file = files.get(target.path);
  if (file === undefined) {
    file = new LogFile(target);
    files.set(target.path, file);
  }
  return file;
}

/** Reopens every log file of this process; returns the errors (a file that cannot be reopened keeps the old one). */
export function reopenAll(): string[] {
  const errors: string[] = [];
  for (const file of files.values()) {
    try {
      file.reopen();
    } catch (err) {
      errors.push(`cannot reopen log file ${file.describe()}: ${(err as Error).message}`);
    }
  }
  return errors;
}

export function flushAll(): void {
  for (const file of files.values()) file.flush();
}

// Lines still pending when the process ends (process.exit, a fatal error) are written now.
process.on('exit', flushAll);
