// Leveled, line-buffered logging to stderr: `2026-11-24T05:54:50.123Z [pid] LEVEL message`.
// The Python host writes the same format (python/yimmo_host/log.py), so one
// stream reads as one log. Imports nothing from the rest of the server.

export const LEVELS = ['FATAL', 'ERROR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG', 'TRACE'] as const;
export type LogLevel = (typeof LEVELS)[number];

export function parseLogLevel(text: string): LogLevel | undefined {
  const upper = text.trim().toUpperCase();
  const alias = upper === 'WARN' ? 'WARNING' : upper;
  return (LEVELS as readonly string[]).includes(alias) ? (alias as LogLevel) : undefined;
}

let threshold = LEVELS.indexOf('NOTICE');

export function setLogLevel(level: LogLevel): void {
  threshold = LEVELS.indexOf(level);
}

export function enabled(level: LogLevel): boolean {
  return LEVELS.indexOf(level) <= threshold;
}

function write(level: LogLevel, message: string): void {
  if (LEVELS.indexOf(level) > threshold) return;
  process.stderr.write(`${new Date().toISOString()} [${process.pid}] ${level} ${message}\n`);
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

/**
 * SIGUSR1: reopen the log files (after logrotate moved them). Log files are
 * opened by the log-file settings; with none (logs on stderr only) there is
 * nothing to reopen. Called by the supervisor and, on its word, by each worker.
 */
export function reopenLogFiles(): void {
  // No log file is open: stderr is inherited and never reopened.
}
