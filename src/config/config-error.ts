// ConfigError and the vocabulary shared by every config message: where a value
// came from, how a setting is named there, and how a bad value is shown.
// Every message is one line naming the setting, its source and the value
// (ARCHITECTURE.md, convention 2).

import { STARTUP_ERRORS } from '../errors';
import type { AnySetting } from './schema';

/** The config codes of the STARTUP_ERRORS registry. */
export type ConfigCode = Extract<keyof typeof STARTUP_ERRORS, `YW_CONFIG_${string}`>;

export class ConfigError extends Error {
  readonly code: ConfigCode;

  constructor(code: ConfigCode, message: string) {
    super(oneLine(message));
    this.name = 'ConfigError';
    this.code = code;
  }
}

/** Where one value came from. `file` is the config file path as given. */
export type Origin =
  | { readonly kind: 'cli' }
  | { readonly kind: 'positional' }
  | { readonly kind: 'env'; readonly name: string }
  | { readonly kind: 'file'; readonly file: string; readonly path: string }
  | { readonly kind: 'default' };

/** Config.sources values. */
export type Source = 'command line' | 'default' | `environment (${string})` | `config file (${string})`;

export function sourceOf(origin: Origin): Source {
  switch (origin.kind) {
    case 'cli':
    case 'positional':
      return 'command line';
    case 'env':
      return `environment (${origin.name})`;
    case 'file':
      return `config file (${origin.file})`;
    case 'default':
      return 'default';
  }
}

/** The setting's name in the place the value came from: `--port`, `YIMMO_WSGI_PORT`, `wsgi.port`. */
export function nameIn(setting: AnySetting, origin: Origin): string {
  switch (origin.kind) {
    case 'cli':
      return setting.flag === undefined ? setting.key : `--${setting.flag}`;
    case 'positional':
      return `${setting.key === 'module' ? 'MODULE' : 'EXPRESSION'} of the MODULE:EXPRESSION argument`;
    case 'env':
      return origin.name;
    case 'file':
      return origin.path;
    case 'default':
      return setting.flag === undefined ? setting.key : `--${setting.flag}`;
  }
}

/** `command line`, `environment`, `config file /etc/y.yaml`, `default`. */
export function whereText(origin: Origin): string {
  switch (origin.kind) {
    case 'cli':
    case 'positional':
      return 'command line';
    case 'env':
      return 'environment';
    case 'file':
      return `config file ${origin.file}`;
    case 'default':
      return 'default';
  }
}

/** `invalid --no-threads '0' (from command line): must be an integer from 1 to 1024`. */
export function invalidValue(setting: AnySetting, origin: Origin, value: unknown, reason: string): ConfigError {
  return new ConfigError(
    'YW_CONFIG_INVALID',
    `invalid ${nameIn(setting, origin)} ${show(value)} (from ${whereText(origin)}): ${reason}`,
  );
}

const MAX_SHOWN = 80;

/** A value as a message shows it: strings in single quotes, control characters escaped, long ones cut. */
export function show(value: unknown): string {
  if (typeof value === 'string') {
    const escaped = JSON.stringify(value).slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'");
    return `'${escaped.length > MAX_SHOWN ? `${escaped.slice(0, MAX_SHOWN)}...` : escaped}'`;
  }
  if (value === null) return 'null';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}...` : text;
}

/** What kind of YAML value this is, for "must be X, not a mapping". */
export function kindOf(value: unknown): string {
  if (value === null || value === undefined) return 'empty (null)';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string':
      return 'a string';
    case 'number':
      return Number.isInteger(value) ? 'an integer' : 'a number';
    case 'boolean':
      return 'a boolean';
    case 'object':
      return 'a mapping';
    default:
      return typeof value;
  }
}

function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}

/** The closest candidate to `word`, if it is close enough to be a likely typo. */
export function didYouMean(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  const allowed = Math.max(2, Math.floor(word.length / 3));
  return bestDistance <= allowed ? best : undefined;
}

/** Levenshtein distance, counting a swap of two neighbours as one edit. */
function editDistance(a: string, b: string): number {
  const rows: number[][] = [];
  for (let i = 0; i <= a.length; i++) {
    const row: number[] = [i];
    for (let j = 1; j <= b.length; j++) {
      if (i === 0) {
        row.push(j);
        continue;
      }
      const prev = rows[i - 1] ?? [];
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min((prev[j] ?? 0) + 1, (row[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        d = Math.min(d, (rows[i - 2]?.[j - 2] ?? 0) + 1);
      }
      row.push(d);
    }
    rows.push(row);
  }
  return rows[a.length]?.[b.length] ?? Math.max(a.length, b.length);
}
