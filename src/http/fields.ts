// Byte classes and field-value grammars used by the request parser
// (src/http/parser.ts). Pure functions over strings and bytes, no state.

/** tchar (RFC 9110 5.6.2): the bytes of a token (method, field name, coding). */
export const TCHAR = new Uint8Array(256);
/** field-vchar / SP / HTAB (RFC 9110 5.5): what a field value may contain. obs-text is allowed. */
export const FIELD_VALUE = new Uint8Array(256);
/**
 * Bytes allowed in a request-target (RFC 9112 3.2, RFC 3986): visible ASCII.
 * CTLs, SP, DEL and non-ASCII are rejected (RFC 9112 3.2 "invalid characters"
 * SHOULD get 400); '#' too, since a fragment is never part of a request-target.
 */
export const TARGET_CHAR = new Uint8Array(256);
/** Value of a HEXDIG byte, or -1. */
export const HEX_VALUE = new Int8Array(256).fill(-1);

const TCHAR_PUNCT = "!#$%&'*+-.^_`|~";
for (let b = 0; b < 256; b++) {
  const c = String.fromCharCode(b);
  const alnum = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a);
  TCHAR[b] = alnum || TCHAR_PUNCT.includes(c) ? 1 : 0;
  FIELD_VALUE[b] = b === 0x09 || (b >= 0x20 && b !== 0x7f) ? 1 : 0;
  TARGET_CHAR[b] = b > 0x20 && b < 0x7f && b !== 0x23 ? 1 : 0;
  if (b >= 0x30 && b <= 0x39) HEX_VALUE[b] = b - 0x30;
  else if (b >= 0x41 && b <= 0x46) HEX_VALUE[b] = b - 0x41 + 10;
  else if (b >= 0x61 && b <= 0x66) HEX_VALUE[b] = b - 0x61 + 10;
}

const isOws = (c: number): boolean => c === 0x20 || c === 0x09;

/**
 * Whether v[a, b) equals the lower-case token `t`, ignoring ASCII case.
 * `| 0x20` folds case; for '-' and digits it could only also match bytes
 * below 0x20, which a validated field value never holds (except HTAB, 0x09,
 * which would need a 0x29 in `t`).
 */
function equalsLower(v: string, a: number, b: number, t: string): boolean {
  if (b - a !== t.length) return false;
  for (let i = 0; i < t.length; i++) if ((v.charCodeAt(a + i) | 0x20) !== t.charCodeAt(i)) return false;
  return true;
}

/**
 * Content-Length = 1*DIGIT (RFC 9110 8.6). No sign, no list, no spaces: a
 * lenient int() here is how waitress and uWSGI were smuggled through.
 * Returns the length, -1 when malformed, -2 beyond Number.MAX_SAFE_INTEGER
 * (RFC 9110 8.6: recipients MUST prevent overflow and precision loss).
 */
export function parseContentLength(v: string): number {
  const n = v.length;
  if (n === 0) return -1;
  let value = 0;
  for (let i = 0; i < n; i++) {
    const d = v.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
    if (value > Number.MAX_SAFE_INTEGER) return -2;
  }
  return value;
}

/** Outcome of the Transfer-Encoding check: 0 when the framing is chunked. */
export type TransferCodingVerdict = 0 | 400 | 501;

/**
 * The combined Transfer-Encoding list (every field line joined with ", ",
 * RFC 9110 5.3). RFC 9112 6.1/6.3: chunked must be the final coding and be
 * applied once, else the length cannot be known (400); any other coding is
 * one we do not implement (501, RFC 9112 6.1). Elements that are not plain
 * tokens ('"chunked"', '\xa0chunked', 'chunked;x=1') never count as chunked.
 */
export function checkTransferEncoding(te: string): TransferCodingVerdict {
  let chunkedAt = -1;
  let chunkedCount = 0;
  let other = false;
  let index = 0;
  let start = 0;
  const n = te.length;
  while (start <= n) {
    let end = te.indexOf(',', start);
    if (end < 0) end = n;
    let a = start;
    let b = end;
    while (a < b && isOws(te.charCodeAt(a))) a++;
    while (b > a && isOws(te.charCodeAt(b - 1))) b--;
    // RFC 9110 5.6.1: empty list elements are ignored.
    if (a < b) {
      if (equalsLower(te, a, b, 'chunked')) {
        chunkedAt = index;
        chunkedCount++;
      } else {
        other = true;
      }
      index++;
    }
    start = end + 1;
  }
  if (chunkedCount > 1 || (chunkedCount === 1 && chunkedAt !== index - 1)) return 400;
  if (other) return 501;
  if (chunkedCount === 0) return 400;
  return 0;
}

/** Whether a comma-separated token list contains `token` (lower-case), case-insensitively (RFC 9110 5.6.1, 7.6.1). */
export function listHasToken(v: string, token: string): boolean {
  const n = v.length;
  let start = 0;
  while (start <= n) {
    let end = v.indexOf(',', start);
    if (end < 0) end = n;
    let a = start;
    let b = end;
    while (a < b && isOws(v.charCodeAt(a))) a++;
    while (b > a && isOws(v.charCodeAt(b - 1))) b--;
    if (equalsLower(v, a, b, token)) return true;
    start = end + 1;
  }
  return false;
}

const UNRESERVED_SUBDELIM = new Uint8Array(128);
for (const c of "-._~!$&'()*+,;=") UNRESERVED_SUBDELIM[c.charCodeAt(0)] = 1;
for (let b = 0; b < 128; b++) {
  if ((b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)) UNRESERVED_SUBDELIM[b] = 1;
}

const isHex = (c: number): boolean => c < 256 && HEX_VALUE[c] !== -1;

/** reg-name = *( unreserved / pct-encoded / sub-delims ) (RFC 3986 3.2.2); also covers IPv4address. */
function isRegName(s: string, from: number, to: number): boolean {
  for (let i = from; i < to; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      if (i + 2 >= to || !isHex(s.charCodeAt(i + 1)) || !isHex(s.charCodeAt(i + 2))) return false;
      i += 2;
    } else if (c >= 128 || UNRESERVED_SUBDELIM[c] !== 1) {
      return false;
    }
  }
  return true;
}

function isIPv4(s: string): boolean {
  const parts = s.split('.');
  if (parts.length !== 4) return false;
  for (const p of parts) {
    // dec-octet (RFC 3986 3.2.2): no leading zeros, 0-255.
    if (p.length === 0 || p.length > 3 || (p.length > 1 && p.charCodeAt(0) === 0x30)) return false;
    for (let i = 0; i < p.length; i++) {
      const c = p.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return false;
    }
    if (Number(p) > 255) return false;
  }
  return true;
}

function isH16List(s: string): number {
  // Number of h16 groups in a ':'-separated list (the last may be an IPv4 address, counting 2), or -1.
  if (s === '') return 0;
  const groups = s.split(':');
  let count = 0;
  for (let g = 0; g < groups.length; g++) {
    const h = groups[g] ?? '';
    if (g === groups.length - 1 && h.includes('.')) {
      if (!isIPv4(h)) return -1;
      count += 2;
      continue;
    }
    if (h.length === 0 || h.length > 4) return -1;
    for (let i = 0; i < h.length; i++) if (!isHex(h.charCodeAt(i))) return -1;
    count++;
  }
  return count;
}

/** IPv6address (RFC 3986 3.2.2): eight h16 groups, or fewer with one '::'; an IPv4 tail counts as two. */
function isIPv6(s: string): boolean {
  const dbl = s.indexOf('::');
  if (dbl < 0) return isH16List(s) === 8;
  if (s.indexOf('::', dbl + 1) >= 0) return false;
  const head = s.slice(0, dbl);
  const tail = s.slice(dbl + 2);
  if (head.includes('.')) return false;
  const h = isH16List(head);
  const t = isH16List(tail);
  return h >= 0 && t >= 0 && h + t <= 7;
}

/** IP-literal = "[" ( IPv6address / IPvFuture ) "]" (RFC 3986 3.2.2), brackets excluded. */
function isIpLiteralBody(s: string): boolean {
  if (s.length > 0 && (s.charCodeAt(0) | 0x20) === 0x76) {
    // IPvFuture = "v" 1*HEXDIG "." 1*( unreserved / sub-delims / ":" )
    const dot = s.indexOf('.');
    if (dot < 2) return false;
    for (let i = 1; i < dot; i++) if (!isHex(s.charCodeAt(i))) return false;
    if (dot === s.length - 1) return false;
    for (let i = dot + 1; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 0x3a && (c >= 128 || UNRESERVED_SUBDELIM[c] !== 1)) return false;
    }
    return true;
  }
  return isIPv6(s);
}

/**
 * uri-host [ ":" port ] (RFC 9110 7.2, RFC 3986 3.2.2-3.2.3), the Host field
 * and the authority of absolute- and authority-form targets (RFC 9112 3.2).
 * `requireHost`: the host may not be empty (RFC 9110 4.2.1 for http URIs);
 * `requirePort`: authority-form needs 1*DIGIT port (RFC 9112 3.2.3).
 */
export function isValidHostPort(s: string, requireHost: boolean, requirePort: boolean): boolean {
  let hostEnd: number;
  if (s.charCodeAt(0) === 0x5b) {
    const close = s.indexOf(']');
    if (close < 0 || !isIpLiteralBody(s.slice(1, close))) return false;
    hostEnd = close + 1;
  } else {
    hostEnd = s.indexOf(':');
    if (hostEnd < 0) hostEnd = s.length;
    if (!isRegName(s, 0, hostEnd)) return false;
    if (requireHost && hostEnd === 0) return false;
  }
  if (hostEnd === s.length) return !requirePort;
  if (s.charCodeAt(hostEnd) !== 0x3a) return false;
  // port = *DIGIT (RFC 3986 3.2.3); at most 5 digits keeps it meaningful.
  const portLen = s.length - hostEnd - 1;
  if (portLen > 5 || (requirePort && portLen === 0)) return false;
  for (let i = hostEnd + 1; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * chunk-ext = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
 * (RFC 9112 7.1.1), over bytes [from, to) of a chunk-size line. The
 * extensions are ignored, but only after they parse: skipping illegal bytes
 * unchecked was CVE-2022-24761 (waitress).
 */
export function isValidChunkExt(buf: Buffer, from: number, to: number): boolean {
  let i = from;
  while (i < to) {
    while (i < to && isOws(buf[i]!)) i++;
    if (i >= to || buf[i] !== 0x3b) return false; // trailing BWS alone is not in the grammar
    i++;
    while (i < to && isOws(buf[i]!)) i++;
    const name = i;
    while (i < to && TCHAR[buf[i]!] === 1) i++;
    if (i === name) return false;
    let j = i;
    while (j < to && isOws(buf[j]!)) j++;
    if (j < to && buf[j] === 0x3d) {
      j++;
      while (j < to && isOws(buf[j]!)) j++;
      if (j < to && buf[j] === 0x22) {
        j = skipQuotedString(buf, j, to);
        if (j < 0) return false;
      } else {
        const v = j;
        while (j < to && TCHAR[buf[j]!] === 1) j++;
        if (j === v) return false;
      }
      i = j;
    }
  }
  return true;
}

/** quoted-string (RFC 9110 5.6.4) starting at the DQUOTE at `at`; returns the index after the closing DQUOTE or -1. */
function skipQuotedString(buf: Buffer, at: number, to: number): number {
  for (let i = at + 1; i < to; i++) {
    const c = buf[i]!;
    if (c === 0x22) return i + 1;
    if (c === 0x5c) {
      // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
      i++;
      if (i >= to || FIELD_VALUE[buf[i]!] !== 1) return -1;
    } else if (FIELD_VALUE[c] !== 1) {
      return -1;
    }
  }
  return -1;
}
