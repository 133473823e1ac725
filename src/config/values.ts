// Turns one raw value into a typed one, by the setting's type: text from the
// command line or the environment, or a YAML value (`unknown`, checked
// strictly: a YAML string is not an integer). Pure: no file system, no env.
// Seconds become milliseconds here; sizes become bytes.

import { isIP } from 'node:net';
import { compileAccessFormat } from '../log/access-log';
import { parseLogLevel } from '../log/logger';
import { LOG_FORMATS } from '../log/record';
import { AddressSet } from '../net/address-set';
import { kindOf, show } from './config-error';
import { parseBind } from '../net/bind-spec';
import { rangeText, type AnySetting } from './schema';

export type SettingValue = number | boolean | string;
export type Parsed = { readonly ok: true; readonly value: SettingValue } | { readonly ok: false; readonly reason: string };

const INT_TEXT = /^-?\d+$/;
const SECONDS_TEXT = /^(\d+(\.\d*)?|\.\d+)$/;
const SIZE_TEXT = /^(\d+)([KMGT](i?B)?|B)?$/i;
const SIZE_UNITS: Readonly<Record<string, number>> = { K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 };
const MODULE_NAME = /^[\p{ID_Start}_][\p{ID_Continue}]*(\.[\p{ID_Start}_][\p{ID_Continue}]*)*$/u;
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;

/** RFC 3986 path characters without '%', so SCRIPT_NAME is the same encoded and decoded. */
const ROOT_PATH = /^(\/[A-Za-z0-9\-._~!$&'()*+,;=:@]+)+$/;

/** KEY=VALUE for --env: a POSIX-portable name, any value without a newline. */
const ENV_ENTRY = /^[A-Za-z_][A-Za-z0-9_]*=[^\n]*$/;

/** `env:` in YAML: a mapping of names to scalars, or a list of KEY=VALUE strings. */
function envFromYaml(s: AnySetting & { readonly type: 'string' | 'path' }, value: unknown): Parsed {
  let lines: string[];
  if (Array.isArray(value)) {
    if (!value.every((v) => typeof v === 'string')) return fail(s, value);
    lines = value as string[];
  } else if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (!entries.every(([, v]) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean')) return fail(s, value);
    lines = entries.map(([k, v]) => `${k}=${String(v)}`);
  } else if (typeof value === 'string') {
    lines = [value];
  } else {
    return fail(s, value);
  }
  return checkText(s, lines.join('\n'));
}

function fail(s: AnySetting, actual?: unknown): Parsed {
  const suffix = actual === undefined ? '' : `, not ${kindOf(actual)}`;
  return { ok: false, reason: `must be ${rangeText(s)}${suffix}` };
}

function ok(value: SettingValue): Parsed {
  return { ok: true, value };
}

/** `HOST:PORT` or `[IPv6]:PORT` -> its parts (the host unbracketed); undefined when malformed. */
export function splitHostPort(text: string): { readonly host: string; readonly port: number } | undefined {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  const host = match[1] ?? match[2] ?? '';
  if (match[1] !== undefined) return isIP(host) === 6 ? { host, port } : undefined;
  return isIP(host) === 4 || HOST_NAME.test(host) ? { host, port } : undefined;
}

/** A value given as text: a command-line argument or an environment variable. */
export function parseText(s: AnySetting, raw: string): Parsed {
  const text = s.type === 'string' || s.type === 'path' ? raw : raw.trim();
  switch (s.type) {
    case 'int':
      return INT_TEXT.test(text) ? inRange(s, Number(text)) : fail(s);
    case 'seconds':
      return SECONDS_TEXT.test(text) ? seconds(s, Number(text)) : fail(s);
    case 'size':
      return size(s, text);
    case 'bool': {
      const lower = text.toLowerCase();
      if (lower === '1' || lower === 'true') return ok(true);
      if (lower === '0' || lower === 'false') return ok(false);
      return fail(s);
    }
    case 'level': {
      const level = parseLogLevel(text);
      return level === undefined ? fail(s) : ok(level);
    }
    case 'string':
    case 'path':
      return checkText(s, text);
  }
}

/** A value from the YAML file: the YAML type must match the setting's type. */
export function parseYaml(s: AnySetting, value: unknown): Parsed {
  switch (s.type) {
    case 'int':
      return typeof value === 'number' && Number.isInteger(value) ? inRange(s, value) : fail(s, value);
    case 'seconds':
      return typeof value === 'number' && Number.isFinite(value) ? seconds(s, value) : fail(s, value);
    case 'size':
      if (typeof value === 'number' && Number.isInteger(value)) return inRange(s, value);
      return typeof value === 'string' ? size(s, value.trim()) : fail(s, value);
    case 'bool':
      if (typeof value === 'boolean') return ok(value);
      if (value === 0 || value === 1) return ok(value === 1);
      return fail(s, value);
    case 'level': {
      const level = typeof value === 'string' ? parseLogLevel(value) : undefined;
      if (level !== undefined) return ok(level);
      return typeof value === 'string' ? fail(s) : fail(s, value);
    }
    case 'string':
    case 'path':
      if (s.check === 'env-list') return envFromYaml(s, value);
      if (s.check === 'file-list' && Array.isArray(value) && value.every((v) => typeof v === 'string')) {
        return checkText(s, value.join('\n'));
      }
      // An address list may be a YAML sequence too.
      if (s.check === 'address-list' && Array.isArray(value) && value.every((v) => typeof v === 'string')) {
        return checkText(s, value.join(','));
      }
      // A list of binds or hosts: one per item (a unix path may hold a comma only here).
      if ((s.check === 'bind' || s.check === 'host') && Array.isArray(value) && value.length > 0 && value.every((v) => typeof v === 'string')) {
        return checkList(s, value as string[]);
      }
      // A unix socket mode written as a YAML number (660): its digits are the octal mode.
      if (s.check === 'file-mode' && typeof value === 'number' && Number.isInteger(value)) return checkText(s, String(value));
      return typeof value === 'string' ? checkText(s, value) : fail(s, value);
  }
}

function inRange(s: AnySetting & { readonly min: number; readonly max: number }, n: number): Parsed {
  return Number.isSafeInteger(n) && n >= s.min && n <= s.max ? ok(n) : fail(s);
}

function seconds(s: AnySetting & { readonly type: 'seconds' }, value: number): Parsed {
  const ms = Math.round(value * 1000);
  if (value < 0 || value > s.max) return fail(s);
  // A positive value that rounds to 0 ms would silently mean "off" or "at once".
  if (!s.zeroAllowed && ms < 1) return fail(s);
  if (s.zeroAllowed && value > 0 && ms < 1) return fail(s);
  return ok(ms);
}

function size(s: AnySetting & { readonly type: 'size' }, text: string): Parsed {
  const match = SIZE_TEXT.exec(text);
  if (match === null) return fail(s);
  const unit = match[2]?.[0]?.toUpperCase() ?? '';
  return inRange(s, Number(match[1]) * (SIZE_UNITS[unit] ?? 1));
}

/** Each item checked alone: YAML list items are not split at commas. */
function checkList(s: AnySetting & { readonly type: 'string' | 'path' }, items: readonly string[]): Parsed {
  const out: string[] = [];
  for (const item of items) {
    if (s.check === 'bind') {
      if (item.includes('\n')) return fail(s);
      const parsed = parseBind(item);
      if ('error' in parsed) return { ok: false, reason: `${show(item)} must be ${parsed.error}` };
      out.push(item.trim());
      continue;
    }
    const one = checkText(s, item);
    if (!one.ok) return one;
    out.push(String(one.value));
  }
  return ok(out.join('\n'));
}

function checkText(s: AnySetting & { readonly type: 'string' | 'path' }, text: string): Parsed {
  if (text.includes('\0')) return fail(s);
  switch (s.check) {
    case 'host': {
      // One or more (the flag repeated, or a comma list): one per line.
      const hosts: string[] = [];
      for (const item of text.split(/[\n,]/).map((h) => h.trim())) {
        const bare = item.startsWith('[') && item.endsWith(']') ? item.slice(1, -1) : item;
        if (isIP(bare) !== 0) hosts.push(bare);
        else if (HOST_NAME.test(item)) hosts.push(item);
        else return fail(s);
      }
      return ok(hosts.join('\n'));
    }
    case 'bind': {
      const items = text.split(/[\n,]/).map((b) => b.trim());
      if (items.some((b) => b === '')) return fail(s);
      for (const item of items) {
        const parsed = parseBind(item);
        if ('error' in parsed) return { ok: false, reason: `${show(item)} must be ${parsed.error}` };
      }
      return ok(items.join('\n'));
    }
    case 'file-mode':
      return /^(0o?)?[0-7]{1,3}$/i.test(text) ? ok(text) : fail(s);
    case 'module':
      return MODULE_NAME.test(text) ? ok(text) : fail(s);
    case 'expression':
      return text.trim() === '' ? fail(s) : ok(text);
    case 'log-format': {
      const lower = text.trim().toLowerCase();
      return (LOG_FORMATS as readonly string[]).includes(lower) ? ok(lower) : fail(s);
    }
    case 'access-log-format': {
      const compiled = compileAccessFormat(text);
      return compiled.ok ? ok(text) : { ok: false, reason: compiled.reason };
    }
    case 'host-port':
      return splitHostPort(text) === undefined ? fail(s) : ok(text);
    case 'address-list': {
      const parsed = AddressSet.parse(text);
      if ('error' in parsed) return { ok: false, reason: parsed.error };
      return ok(text.trim()); // '' trusts no peer
    }
    case 'root-path':
      return ROOT_PATH.test(text) ? ok(text) : fail(s);
    case 'env-list': {
      const lines = text.split('\n').filter((l) => l !== '');
      return lines.length > 0 && lines.every((l) => ENV_ENTRY.test(l)) ? ok(lines.join('\n')) : fail(s);
    }
    case 'umask':
      return /^(0o?)?[0-7]{1,3}$/i.test(text) ? ok(text) : fail(s);
    case 'user':
    case 'group':
      return /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(text) ? ok(text) : fail(s);
    case 'file-list': {
      const lines = text.split('\n').filter((l) => l !== '');
      return lines.length > 0 && lines.every((l) => l.trim() !== '') ? ok(lines.join('\n')) : fail(s);
    }
    case 'path-list':
      return text.split(',').every((p) => p.trim() !== '') ? ok(text) : fail(s);
    case 'directory':
    case 'pid-file':
    case 'executable':
    case 'tls-file':
    case 'config-file':
    case 'error-log':
    case 'access-log':
      // Existence and permissions are checked by load.ts on the chosen value only.
      return text === '' ? fail(s) : ok(text);
  }
}
