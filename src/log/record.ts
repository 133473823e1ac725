// How one log record becomes one line, in either format. Pure: no I/O.
//
// text: `2026-11-24T05:54:50.123Z [pid] LEVEL message` (a traceback keeps its
//       own lines, as a reader of a terminal expects);
// json: one object per line: {"time", "level", "pid", "message", ...}. The
//       escaping leaves no character that any common reader takes for a line
//       break: JSON.stringify escapes C0 controls, and we also escape DEL,
//       the C1 controls (U+0085 NEL among them) and U+2028/U+2029, which
//       Python's str.splitlines() and some JavaScript parsers split on.

export const LOG_FORMATS = ['text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogRecord {
  /** Epoch milliseconds. */
  readonly time: number;
  readonly level: string;
  /** The process the record is about: the writer, or the Python host whose line it relays. */
  readonly pid: number;
  readonly message: string;
}

const UNSAFE = /[\u007f-\u009f\u2028\u2029]/g;

function escapeUnsafe(c: string): string {
  return `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** One JSON object as one line (with the newline). Every string inside is escaped as above. */
export function jsonLine(value: Readonly<Record<string, unknown>>): string {
  return `${JSON.stringify(value).replace(UNSAFE, escapeUnsafe)}\n`;
}

export function formatRecord(format: LogFormat, r: LogRecord): string {
  const time = new Date(r.time).toISOString();
  if (format === 'json') return jsonLine({ time, level: r.level, pid: r.pid, message: r.message });
  return `${time} [${r.pid}] ${r.level} ${r.message}\n`;
}
