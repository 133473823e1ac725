// The line grammars of an HTTP/1.1 request for src/http/parser.ts: the
// request-line, field lines (header and trailer sections) and chunk-size
// lines, plus the per-message state they fill in. Each parse* method looks at
// the line starting at `pos` and returns the index after its CRLF, -1 when
// the line is not complete yet, or -2 when it is invalid (after fail()).
// Validation and the search for the line end happen in the same byte loop.
import type { HTTP_ERRORS } from '../errors';
import type { ParseError, ParseEvent, ParserLimits } from './request-head';
import {
  FIELD_VALUE,
  HEX_VALUE,
  TARGET_CHAR,
  TCHAR,
  isValidChunkExt,
  isValidHostPort,
  listHasToken,
  parseContentLength,
} from './fields';
import { MAX_CHUNK_SIZE_DIGITS } from './line-scan';
import { parseOtherTarget } from './target';

type HttpErrorCode = keyof typeof HTTP_ERRORS;

const INCOMPLETE = -1;
const INVALID = -2;
const CRLFCRLF = Buffer.from('\r\n\r\n', 'latin1');

export abstract class LineParser {
  protected buf: Buffer = Buffer.alloc(0);
  protected pos = 0;

  // Filled by the request-line.
  protected method = '';
  protected target = '';
  protected path = '';
  protected query = '';
  protected minor: 0 | 1 = 1;
  protected targetHost: string | null = null;

  // Filled by the field lines.
  protected headers: string[] = [];
  protected trailers: string[] = [];
  protected hostValue: string | null = null;
  protected contentLength = -1;
  protected te: string | null = null;
  protected teEmptyLine = false;
  protected closeToken = false;
  protected keepAliveToken = false;
  protected expectToken = false;
  private contentTypeSeen = false;
  protected fieldBytes = 0;
  protected fieldCount = 0;
  protected lineWasEmpty = false;

  // Filled by a chunk-size line.
  protected chunkSize = 0;

  // The head decoded once as latin-1 (one native call instead of one per
  // string); field names and values are slices of it. Covers buf[textStart, textEnd).
  private text = '';
  private textStart = -1;
  private textEnd = -1;

  constructor(protected readonly limits: ParserLimits) {}

  protected abstract fail(status: ParseError['status'], code: HttpErrorCode, detail: string): ParseEvent;

  private invalid(status: ParseError['status'], code: HttpErrorCode, detail: string): number {
    this.fail(status, code, detail);
    return INVALID;
  }

  protected refuse(status: ParseError['status'], code: HttpErrorCode, detail: string): false {
    this.fail(status, code, detail);
    return false;
  }

  /** Forget the decoded head: buf is about to change. */
  protected dropText(): void {
    this.textStart = -1;
    this.textEnd = -1;
    this.text = '';
  }

  /** buf[a, b) as a latin-1 string (PEP 3333 bytes-in-unicode). */
  private latin1(a: number, b: number): string {
    const t = this.textStart;
    if (a >= t && b <= this.textEnd) return this.text.slice(a - t, b - t);
    return this.buf.toString('latin1', a, b);
  }

  protected startMessage(): void {
    this.headers = [];
    this.hostValue = null;
    this.targetHost = null;
    this.contentLength = -1;
    this.te = null;
    this.teEmptyLine = false;
    this.closeToken = false;
    this.keepAliveToken = false;
    this.expectToken = false;
    this.contentTypeSeen = false;
    this.fieldBytes = 0;
    this.fieldCount = 0;
  }

  protected startTrailers(): void {
    this.trailers = [];
    this.fieldBytes = 0;
    this.fieldCount = 0;
  }

  /** request-line = method SP request-target SP HTTP-version CRLF (RFC 9112 3), single SPs only. */
  protected parseRequestLine(): number {
    const buf = this.buf;
    const n = buf.length;
    const start = this.pos;
    let i = start;
    while (i < n && TCHAR[buf[i]!] === 1) i++;
    if (i === n) return INCOMPLETE;
    // RFC 9110 9.1: method = token, case-sensitive, passed on verbatim.
    if (buf[i] !== 0x20) return this.invalid(400, 'YW_HTTP_BAD_METHOD', 'method is not a token');
    if (i === start) return this.invalid(400, 'YW_HTTP_BAD_REQUEST_LINE', 'empty method');
    const methodEnd = i++;
    const targetStart = i;
    while (i < n && TARGET_CHAR[buf[i]!] === 1) i++;
    if (i === n) return INCOMPLETE;
    const c = buf[i]!;
    if (c !== 0x20 || i === targetStart) {
      // RFC 9112 3.2: no whitespace or CTL in a request-target; HTTP/0.9 lines have no version.
      const code = c === 0x20 || c === 13 || c === 10 ? 'YW_HTTP_BAD_REQUEST_LINE' : 'YW_HTTP_BAD_TARGET';
      return this.invalid(400, code, 'malformed request-target');
    }
    const targetEnd = i++;
    const versionStart = i;
    while (i < n && buf[i] !== 13 && buf[i] !== 10) i++;
    const end = this.lineEnd(i);
    if (end < 0) return end;
    // RFC 9112 3: a server MUST answer 414 to a request-target longer than it wishes to parse.
    if (i - start > this.limits.maxRequestLine) return this.invalid(414, 'YW_HTTP_URI_TOO_LONG', 'request-line over maxRequestLine');
    const minor = versionMinor(buf, versionStart, i);
    if (minor === -1 || minor === -2) {
      // RFC 9112 2.3: HTTP-version = "HTTP" "/" DIGIT "." DIGIT, case-sensitive; another
      // well-formed version gets 505 (RFC 9110 15.6.6), anything else is not HTTP/1.
      return minor === -2
        ? this.invalid(505, 'YW_HTTP_BAD_VERSION', 'unsupported version')
        : this.invalid(400, 'YW_HTTP_BAD_VERSION', 'malformed HTTP-version');
    }
    this.minor = minor;
    const headEnd = buf.indexOf(CRLFCRLF, i);
    if (headEnd >= 0 && headEnd - end <= this.limits.maxHeaderBytes) {
      this.text = buf.toString('latin1', start, headEnd + 2);
      this.textStart = start;
      this.textEnd = headEnd + 2;
    } else {
      this.dropText();
    }
    this.method = this.latin1(start, methodEnd);
    const target = this.latin1(targetStart, targetEnd);
    this.target = target;
    if (buf[targetStart] === 0x2f && this.method !== 'CONNECT') {
      // origin-form (RFC 9112 3.2.1): absolute-path [ "?" query ]
      const q = target.indexOf('?');
      this.path = q < 0 ? target : target.slice(0, q);
      this.query = q < 0 ? '' : target.slice(q + 1);
      return end;
    }
    const parts = parseOtherTarget(this.method, target);
    if ('status' in parts) return this.invalid(parts.status, parts.code, parts.detail);
    this.path = parts.path;
    this.query = parts.query;
    this.targetHost = parts.host;
    return end;
  }

  /**
   * field-line = field-name ":" OWS field-value OWS (RFC 9112 5), or the empty
   * line that ends the section (then lineWasEmpty is set).
   */
  protected parseFieldLine(trailer: boolean): number {
    const buf = this.buf;
    const n = buf.length;
    const start = this.pos;
    let i = start;
    let upper = false;
    this.lineWasEmpty = false;
    for (; i < n; i++) {
      const c = buf[i]!;
      if (TCHAR[c] !== 1) break;
      if (c >= 0x41 && c <= 0x5a) upper = true;
    }
    if (i === n) return INCOMPLETE;
    if (i === start) {
      const c = buf[i]!;
      if (c === 13 || c === 10) {
        const end = this.lineEnd(i);
        if (end >= 0) this.lineWasEmpty = true;
        return end;
      }
      if (c === 0x20 || c === 0x09) {
        // RFC 9112 5.2: obs-fold MAY be rejected with 400; RFC 9112 2.2: so may a
        // whitespace-preceded line right after the request-line (CVE-2024-27982).
        return this.fieldCount === 0
          ? this.invalid(400, 'YW_HTTP_BAD_HEADER_NAME', 'whitespace before the first field line')
          : this.invalid(400, 'YW_HTTP_OBS_FOLD', 'obs-fold');
      }
      return this.invalid(400, 'YW_HTTP_BAD_HEADER_NAME', 'field name is not a token');
    }
    // RFC 9112 5.1: no whitespace between name and colon, and the server MUST 400.
    if (buf[i] !== 0x3a) return this.invalid(400, 'YW_HTTP_BAD_HEADER_NAME', 'field name not followed by a colon');
    const nameEnd = i++;
    while (i < n && (buf[i] === 0x20 || buf[i] === 0x09)) i++;
    const valueStart = i;
    // RFC 9110 5.5: CR, LF, NUL and other CTLs (except HTAB) are not field-vchar.
    while (i < n && FIELD_VALUE[buf[i]!] === 1) i++;
    if (i === n) return INCOMPLETE;
    const stop = buf[i]!;
    if (stop !== 13 && stop !== 10) return this.invalid(400, 'YW_HTTP_BAD_HEADER_VALUE', 'control character in field value');
    const end = this.lineEnd(i);
    if (end < 0) return end;
    let valueEnd = i;
    while (valueEnd > valueStart && (buf[valueEnd - 1] === 0x20 || buf[valueEnd - 1] === 0x09)) valueEnd--;
    // RFC 6585 5: 431 when the section or the count of fields is over the limit.
    this.fieldBytes += end - start;
    if (this.fieldBytes > this.limits.maxHeaderBytes) return this.invalid(431, 'YW_HTTP_HEADERS_TOO_LARGE', 'field section over maxHeaderBytes');
    if (++this.fieldCount > this.limits.maxHeaders) return this.invalid(431, 'YW_HTTP_TOO_MANY_HEADERS', 'more than maxHeaders field lines');
    let name = this.latin1(start, nameEnd);
    if (upper) name = name.toLowerCase();
    const value = valueEnd === valueStart ? '' : this.latin1(valueStart, valueEnd);
    if (trailer) {
      // RFC 9110 6.5.1: framing and routing fields cannot be trailers; never merged anyway.
      if (name === 'content-length' || name === 'transfer-encoding' || name === 'host') {
        return this.invalid(400, 'YW_HTTP_BAD_TRAILER', name + ' in trailer section');
      }
      this.trailers.push(name, value);
      return end;
    }
    this.headers.push(name, value);
    return this.special(name, value) ? end : INVALID;
  }

  /** The fields that decide framing, routing and persistence. */
  private special(name: string, value: string): boolean {
    switch (name.length) {
      case 4:
        if (name !== 'host') return true;
        // RFC 9112 3.2: 400 for more than one Host line or an invalid value.
        if (this.hostValue !== null) return this.refuse(400, 'YW_HTTP_BAD_HOST', 'repeated Host');
        if (!isValidHostPort(value, false, false)) return this.refuse(400, 'YW_HTTP_BAD_HOST', 'invalid Host');
        this.hostValue = value;
        return true;
      case 6:
        if (name === 'expect' && listHasToken(value, '100-continue')) this.expectToken = true;
        return true;
      case 10:
        // RFC 9110 7.6.1: connection options are case-insensitive tokens in a list.
        if (name === 'connection') {
          if (listHasToken(value, 'close')) this.closeToken = true;
          if (listHasToken(value, 'keep-alive')) this.keepAliveToken = true;
        }
        return true;
      case 12:
        // RFC 9110 5.3: a singleton field may not be repeated (gunicorn #3366).
        if (name !== 'content-type') return true;
        if (this.contentTypeSeen) return this.refuse(400, 'YW_HTTP_DUPLICATE_FIELD', 'repeated Content-Type');
        this.contentTypeSeen = true;
        return true;
      case 14: {
        if (name !== 'content-length') return true;
        // RFC 9112 6.3 item 5: a repeated or list-valued Content-Length is refused even
        // when the values agree: the simplest rule no front end can read differently.
        if (this.contentLength >= 0) return this.refuse(400, 'YW_HTTP_BAD_CONTENT_LENGTH', 'repeated Content-Length');
        const cl = parseContentLength(value);
        if (cl < 0) return this.refuse(400, 'YW_HTTP_BAD_CONTENT_LENGTH', cl === -2 ? 'Content-Length overflow' : 'Content-Length is not 1*DIGIT');
        this.contentLength = cl;
        return true;
      }
      case 17:
        // RFC 9110 5.3: repeated lines combine into one list, checked at the end of the head.
        if (name === 'transfer-encoding') {
          this.te = this.te === null ? value : this.te + ', ' + value;
          if (value === '') this.teEmptyLine = true;
        }
        return true;
      default:
        return true;
    }
  }

  /** chunk = chunk-size [ chunk-ext ] CRLF (RFC 9112 7.1); sets chunkSize. */
  protected parseChunkSize(): number {
    const buf = this.buf;
    const n = buf.length;
    const start = this.pos;
    let i = start;
    let size = 0;
    for (; i < n; i++) {
      const v = HEX_VALUE[buf[i]!]!;
      if (v < 0) break;
      // RFC 9112 7.1: recipients MUST prevent integer overflow and precision loss.
      size = size * 16 + v;
      if (size > Number.MAX_SAFE_INTEGER) return this.invalid(400, 'YW_HTTP_BAD_CHUNK', 'chunk size overflow');
    }
    if (i - start > MAX_CHUNK_SIZE_DIGITS) return this.invalid(400, 'YW_HTTP_BAD_CHUNK', 'chunk size too long');
    if (i === n) return INCOMPLETE;
    // chunk-size = 1*HEXDIG: no sign, no "0x", no leading whitespace, not empty.
    if (i === start) return this.invalid(400, 'YW_HTTP_BAD_CHUNK', 'chunk size is not 1*HEXDIG');
    const extStart = i;
    while (i < n && buf[i] !== 13 && buf[i] !== 10) i++;
    const end = this.lineEnd(i);
    if (end < 0) return end;
    // CVE-2024-22019: extensions are bounded; they are checked, then ignored (RFC 9112 7.1.1).
    if (i - extStart > this.limits.maxChunkExtension) return this.invalid(400, 'YW_HTTP_CHUNK_EXTENSION_TOO_LONG', 'chunk extension too long');
    if (i > extStart && !isValidChunkExt(buf, extStart, i)) return this.invalid(400, 'YW_HTTP_BAD_CHUNK', 'invalid chunk extension');
    this.chunkSize = size;
    return end;
  }

  /**
   * `i` is the first CR or LF (or n) after the content of a line: the index
   * after CRLF, INCOMPLETE, or INVALID for a bare LF or a bare CR (RFC 9112 2.2:
   * CRLF only; a lone CR or LF is how CVE-2019-16785 and CVE-2023-30589 smuggled).
   */
  private lineEnd(i: number): number {
    const buf = this.buf;
    if (i >= buf.length) return INCOMPLETE;
    if (buf[i] === 10) return this.invalid(400, 'YW_HTTP_BAD_LINE_ENDING', 'bare LF');
    if (i + 1 === buf.length) return INCOMPLETE;
    if (buf[i + 1] !== 10) return this.invalid(400, 'YW_HTTP_BAD_LINE_ENDING', 'bare CR');
    return i + 2;
  }
}

/**
 * 0 for HTTP/1.0; 1 for HTTP/1.1 to HTTP/1.9 (RFC 9110 2.5: a higher minor
 * version of a major version we implement is processed as the highest minor
 * we implement); -2 for another HTTP/DIGIT.DIGIT (505); -1 otherwise (400).
 */
function versionMinor(buf: Buffer, a: number, b: number): 0 | 1 | -1 | -2 {
  if (
    b - a !== 8 ||
    buf[a] !== 0x48 || buf[a + 1] !== 0x54 || buf[a + 2] !== 0x54 || buf[a + 3] !== 0x50 || // HTTP
    buf[a + 4] !== 0x2f || buf[a + 6] !== 0x2e
  ) {
    return -1;
  }
  const major = buf[a + 5]! - 0x30;
  const minor = buf[a + 7]! - 0x30;
  if (major < 0 || major > 9 || minor < 0 || minor > 9) return -1;
  if (major !== 1) return -2;
  return minor === 0 ? 0 : 1;
}
