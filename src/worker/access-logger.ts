// The worker's access log: one line (or JSON record) per exchange, to the
// --access-log file or stdout, or else to the error log at INFO. The format
// is compiled once, here, at start-up (src/log/access-log.ts).
import type { Socket } from 'node:net';
import type { ExchangeRecord } from '../http/connection';
import { accessFields, compileAccessFormat, FINE_DURATION_ATOMS, type AccessEntry, type AccessRenderer } from '../log/access-log';
import { openLogFile, type LogFile } from '../log/log-file';
import { enabled, log } from '../log/logger';
import { jsonLine, type LogFormat } from '../log/record';
import type { WorkerConfig } from '../ipc/contract';

/**
 * Whether the access log shows a request's duration below the millisecond:
 * %(D)s, %(L)s or %(M)s in the format, or the duration_us field of a JSON
 * access log file. Only then do connections time requests with the
 * monotonic clock (ConnectionOptions.fineDuration).
 */
export function wantsFineDuration(logging: WorkerConfig['logging']): boolean {
  if (logging.format === 'json' && logging.accessLog !== null) return true;
  const compiled = compileAccessFormat(logging.accessLogFormat);
  return compiled.ok && compiled.atoms.some((atom) => FINE_DURATION_ATOMS.has(atom));
}

/** Where an exchange ran: an HTTP/1.x Connection, or an HTTP/2 stream (its session's socket). */
export interface ExchangeSource {
  readonly socket: Socket;
  readonly writer: { readonly sentHead: string } | undefined;
}

export class AccessLogger {
  private readonly render: AccessRenderer;
  private readonly file: LogFile | undefined;
  private readonly format: LogFormat;

  /** Throws the fs error when the access log file cannot be opened, Error for a bad format. */
  constructor(logging: WorkerConfig['logging']) {
    const compiled = compileAccessFormat(logging.accessLogFormat);
    // The supervisor validated it; a worker must not guess.
    if (!compiled.ok) throw new Error(`--access-log-format: ${compiled.reason}`);
    this.render = compiled.render;
    this.format = logging.format;
    this.file = logging.accessLog === null
      ? undefined
      : openLogFile(logging.accessLog === '-' ? 'stdout' : { path: logging.accessLog });
  }

  /** Whether an exchange would be logged: when not, the caller skips what only the entry needs (the client's address). */
  get active(): boolean {
    return this.file !== undefined || enabled('INFO');
  }

  exchangeDone(connection: ExchangeSource, record: ExchangeRecord, remoteAddress: string): void {
    if (!this.active) return;
    const socket = connection.socket;
    const head = record.head;
    const now = Date.now();
    const entry: AccessEntry = {
      remoteAddress,
      remotePort: socket.remotePort ?? 0,
      // Read only by a format that names the server's port: getsockname(2)
      // would otherwise be a system call per connection for nothing.
      get localAddress(): string {
        return socket.localAddress ?? '';
      },
      get localPort(): number {
        return socket.localPort ?? 0;
      },
      // A TLSSocket says so (asked without loading node:tls into a plain-HTTP worker).
      scheme: (socket as { encrypted?: boolean }).encrypted === true ? 'https' : 'http',
      headParsed: head !== undefined,
      method: head?.method ?? '-',
      target: head?.target ?? '-',
      path: head?.path ?? '',
      query: head?.query ?? '',
      minorVersion: head?.minorVersion ?? 1,
      http2: head?.http2 === true,
      requestHeaders: head?.headers ?? [],
      status: record.status,
      bodyBytes: record.bodyBytes,
      // The writer belongs to this exchange only when it had a head.
      responseHead: head !== undefined ? (connection.writer?.sentHead ?? '') : '',
      startMs: now - record.durationMs,
      // Sub-millisecond when the format asks for it (wantsFineDuration); else from the millisecond clock.
      durationUs: record.durationUs ?? record.durationMs * 1000,
      pid: process.pid,
    };
    const line = this.render(entry);
    if (this.file === undefined) return log.info(line);
    if (this.format === 'json') {
      this.file.write(jsonLine({ time: new Date(entry.startMs).toISOString(), level: 'INFO', pid: entry.pid, type: 'access', ...accessFields(entry), message: line }));
    } else this.file.write(`${line}\n`);
  }
}
