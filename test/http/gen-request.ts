// Random valid HTTP/1.1 requests for the property and differential tests of
// the request parser, each with what the parser must report for it.
import type { Prng } from './prng';

export interface GenRequest {
  readonly raw: Buffer;
  readonly method: string;
  readonly target: string;
  readonly minorVersion: 0 | 1;
  /** Expected head.headers: lower-cased names, trimmed values. */
  readonly headers: readonly string[];
  readonly body: Buffer;
  readonly trailers: readonly string[];
  readonly chunked: boolean;
}

export interface GenOptions {
  /** Only what node:http (llhttp) also accepts: known methods, simple chunk extensions. */
  readonly nodeCompatible: boolean;
  /** Extra field lines to add after Host (already formatted, e.g. ['x-id', '7']). */
  readonly extra?: readonly string[];
}

const TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
const PCHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~!$&'()*+,;=:@";
const NODE_METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
const OTHER_METHODS = ['PURGE-X', 'get', "M!#$%&'*+-.^_`|~9", 'BREW'];
const SPECIAL = new Set(['host', 'content-length', 'transfer-encoding', 'content-type', 'connection', 'expect', 'te', 'trailer', 'upgrade']);

function str(rnd: Prng, alphabet: string, min: number, max: number): string {
  let s = '';
  const n = min + rnd.int(max - min + 1);
  for (let i = 0; i < n; i++) s += alphabet[rnd.int(alphabet.length)];
  return s;
}

function randomCase(rnd: Prng, s: string): string {
  let out = '';
  for (const c of s) out += rnd.int(2) === 0 ? c.toUpperCase() : c.toLowerCase();
  return out;
}

function fieldName(rnd: Prng): string {
  for (;;) {
    const name = rnd.int(3) === 0 ? str(rnd, TCHARS, 1, 12) : randomCase(rnd, 'x-' + str(rnd, 'abcdefghij-', 1, 10));
    if (!SPECIAL.has(name.toLowerCase())) return name;
  }
}

/** A field value without leading/trailing whitespace: visible ASCII, inner SP/HTAB, obs-text. */
function fieldValue(rnd: Prng): string {
  const n = rnd.int(30);
  let s = '';
  for (let i = 0; i < n; i++) {
    const r = rnd.int(20);
    if (r === 0 && i > 0 && i < n - 1) s += rnd.pick([' ', '\t']);
    else if (r === 1) s += String.fromCharCode(0x80 + rnd.int(128));
    else s += String.fromCharCode(0x21 + rnd.int(0x7e - 0x21 + 1));
  }
  return s;
}

function ows(rnd: Prng): string {
  return rnd.pick(['', '', ' ', '  ', '\t', ' \t']);
}

function target(rnd: Prng): string {
  const segs = Array.from({ length: rnd.int(4) }, () => str(rnd, PCHARS, 0, 8).replace(/%/g, '%25'));
  let path = '/' + segs.join('/');
  if (rnd.int(5) === 0) path += '/%' + rnd.pick(['20', 'C3%A9', '2F']);
  const query = rnd.int(2) === 0 ? '' : '?' + str(rnd, PCHARS + '/?', 0, 20);
  if (rnd.int(10) === 0) return 'http://' + str(rnd, 'abcdefgh.', 1, 10).replace(/^\.+/, 'a') + ':8080' + path + query;
  return path + query;
}

export function genRequest(rnd: Prng, opts: GenOptions): GenRequest {
  const method = rnd.pick(opts.nodeCompatible || rnd.int(4) !== 0 ? NODE_METHODS : OTHER_METHODS);
  const tgt = target(rnd);
  const minorVersion: 0 | 1 = rnd.int(6) === 0 ? 0 : 1;
  const lines: string[] = [];
  const headers: string[] = [];
  const add = (name: string, value: string, framing = false): void => {
    // llhttp refuses a Content-Length followed by HTAB, which RFC 9110 5.5 allows (OWS).
    const pad = framing && opts.nodeCompatible ? (): string => rnd.pick(['', ' ']) : (): string => ows(rnd);
    lines.push(`${name}:${pad()}${value}${pad()}\r\n`);
    headers.push(name.toLowerCase(), value);
  };
  add(randomCase(rnd, 'host'), str(rnd, 'abcdefghijklmnopqrstuvwxyz0123456789.-', 1, 15) + (rnd.int(2) === 0 ? ':' + (1 + rnd.int(65535)) : ''));
  const extra = opts.extra ?? [];
  for (let i = 0; i + 1 < extra.length; i += 2) add(extra[i] ?? '', extra[i + 1] ?? '');
  const nFields = rnd.int(8);
  for (let i = 0; i < nFields; i++) add(fieldName(rnd), fieldValue(rnd));
  const kind = rnd.int(3);
  const body = Buffer.from(Array.from({ length: kind === 0 ? 0 : rnd.int(300) }, () => rnd.int(256)));
  const chunked = kind === 2 && minorVersion === 1;
  let encoded = body;
  const trailers: string[] = [];
  if (chunked) {
    add(randomCase(rnd, 'transfer-encoding'), rnd.pick(['chunked', 'Chunked', 'CHUNKED']), true);
    const parts: Buffer[] = [];
    for (let at = 0; at < body.length; ) {
      const n = Math.min(body.length - at, 1 + rnd.int(100));
      let size = n.toString(16);
      if (rnd.int(4) === 0) size = size.toUpperCase();
      if (rnd.int(6) === 0) size = '00' + size;
      parts.push(Buffer.from(size + chunkExt(rnd, opts.nodeCompatible) + '\r\n', 'latin1'), body.subarray(at, at + n), Buffer.from('\r\n'));
      at += n;
    }
    let tail = '0' + chunkExt(rnd, opts.nodeCompatible) + '\r\n';
    for (let i = rnd.int(3); i > 0; i--) {
      const name = fieldName(rnd);
      const value = fieldValue(rnd);
      tail += `${name}:${ows(rnd)}${value}${ows(rnd)}\r\n`;
      trailers.push(name.toLowerCase(), value);
    }
    parts.push(Buffer.from(tail + '\r\n', 'latin1'));
    encoded = Buffer.concat(parts);
  } else if (kind !== 0) {
    add(randomCase(rnd, 'content-length'), String(body.length), true);
  }
  const head = `${method} ${tgt} HTTP/1.${minorVersion}\r\n${lines.join('')}\r\n`;
  return {
    raw: Buffer.concat([Buffer.from(head, 'latin1'), encoded]),
    method,
    target: tgt,
    minorVersion,
    headers,
    body: chunked || kind !== 0 ? body : Buffer.alloc(0),
    trailers,
    chunked,
  };
}

function chunkExt(rnd: Prng, nodeCompatible: boolean): string {
  switch (rnd.int(nodeCompatible ? 3 : 6)) {
    case 1:
      return ';' + str(rnd, TCHARS, 1, 6);
    case 2:
      return ';' + str(rnd, TCHARS, 1, 6) + '=' + str(rnd, TCHARS, 1, 6);
    case 3:
      return ';' + str(rnd, TCHARS, 1, 6) + '="' + str(rnd, 'ab ;=,\t\\"', 0, 6).replace(/[\\"]/g, '\\$&') + '"';
    case 4:
      return ' ; ' + str(rnd, TCHARS, 1, 4) + ' = ' + str(rnd, TCHARS, 1, 4);
    case 5:
      return ';a;b=c;d';
    default:
      return '';
  }
}
