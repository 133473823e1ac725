// Leveled logging to the error log: stderr by default, or a file
// (--error-log), in text or JSON (--log-format; see record.ts). The Python
// host's lines and its application's stderr reach this log through the
// worker (host-stderr.ts), so one log reads as one stream. Imports nothing
// from the rest of the server.
import { openLogFile, reopenAll, type LogFile } from './log-file';
import { formatRecord, type LogFormat, type LogRecord } from './record';

export const LEVELS = ['FATAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG', 'TRACE'] as const;
export type LogLevel = (typeof LEVELS)[number];

export function parseLogLevel(text: string): LogLevel | undefined {
  const upper = text.trim().toUpperCase();
  const alias = upper === 'WARN' ? 'WARNING' : upper;
  return (LEVELS as readonly string[]).includes(alias) ? (alias as LogLevel) : undefined;
}

let threshold = LEVELS.indexOf('NOTICE');
let format: LogFormat = 'text';
let sink: LogFile | undefined; // undefined: stderr

export function setLogLevel(level: LogLevel): void {
  threshold = LEVELS.indexOf(level);
}

export function enabled(level: LogLevel): boolean {
  return LEVELS.indexOf(level) <= threshold;
}

export interface LoggingOptions {
  readonly format: LogFormat;
  /** Absolute path of the error log; null: stderr. */
  readonly errorLog: string | null;
}

/** Sets the format and opens the error log; throws the fs error when the file cannot be opened. */
export function configureLogging(options: LoggingOptions): void {
  format = options.format;
  sink = options.errorLog === null ? undefined : openLogFile({ path: options.errorLog });
}

export function logFormat(): LogFormat {
  return format;
}

/**
 * Reopens every log file this process writes (error and access logs): what
 * SIGUSR1 does, after logrotate renamed them. A file that cannot be reopened
 * keeps its old descriptor, and the failure is logged.
 */
export function reopenLogFiles(): void {
  for (const error of reopenAll()) write('ERROR', error);
}

/** Writes a finished record regardless of the level (a relayed line was filtered where it was made). */
export function writeRecord(record: LogRecord): void {
  const line = formatRecord(format, record);
  if (sink === undefined) process.stderr.write(line);
  else sink.write(line);
}

function write(level: LogLevel, message: string): void {
  if (LEVELS.indexOf(level) > threshold) return;
  writeRecord({ time: Date.now(), level, pid: process.pid, message });
}

export const log = {
  fatal: (m: string): void => write('FATAL', m),
  error: (m: string): void => write('ERROR', m),
  warning: (m: string): void => write('WARNING', m),
  notice: (m: string): void => write('NOTICE', m),
  info: (m: string): void => write('INFO', m),
  debug: (m: string): void => write('DEBUG', m),
  trace: (m: string): void => write('TRACE', m),
};
