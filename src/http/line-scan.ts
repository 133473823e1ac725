// Lines that arrive in pieces, for src/http/parser.ts. A line whose LF is
// already buffered is parsed in one pass (line-parser.ts). Until then it is
// checked here as its bytes come in, by a resumable copy of the same grammar
// giving the same codes: a request is refused as early and with the same
// error however it was split, and a line dripped byte by byte is still
// scanned once (no O(n^2) rescans). Errors that need the whole line (limits,
// version, Host, Content-Length, chunk extensions) wait for the parse.
import type { HTTP_ERRORS } from '../errors';
import { FIELD_VALUE, HEX_VALUE, TARGET_CHAR, TCHAR } from './fields';

type HttpErrorCode = keyof typeof HTTP_ERRORS;

/** More hex digits than this in a chunk-size is refused even when they are leading zeros. */
export const MAX_CHUNK_SIZE_DIGITS = 32;

/** Where the check of the pending partial line stands. */
export interface ScanState {
  /** Bytes of the line (from pos) already checked; 0 when no line is pending. */
  scanned: number;
  phase: number;
  digits: number;
  size: number;
  /** Set when a scan returns -1. */
  code: HttpErrorCode;
  detail: string;
}

export function newScanState(): ScanState {
  return { scanned: 0, phase: 0, digits: 0, size: 0, code: 'YW_HTTP_BAD_REQUEST_LINE', detail: '' };
}

export function resetScan(s: ScanState): void {
  s.scanned = 0;
  s.phase = 0;
  s.digits = 0;
  s.size = 0;
}

function refuse(s: ScanState, code: HttpErrorCode, detail: string): number {
  s.code = code;
  s.detail = detail;
  return -1;
}

function more(s: ScanState, checked: number, phase: number): number {
  s.scanned = checked;
  s.phase = phase;
  return 0;
}

/** The request-line at buf[start...]: 1 once its LF is buffered, 0 when more bytes are needed, -1 when invalid. */
export function scanRequestLine(buf: Buffer, start: number, s: ScanState): number {
  const n = buf.length;
  let phase = s.phase; // 0 method, 1 target, 2 version, 3 after CR
  for (let i = start + s.scanned; i < n; i++) {
    const c = buf[i]!;
    if (c === 10) return 1;
    if (phase === 0) {
      if (c !== 0x20) {
        if (TCHAR[c] !== 1) return refuse(s, 'YW_HTTP_BAD_METHOD', 'method is not a token');
      } else if (i === start) {
        return refuse(s, 'YW_HTTP_BAD_REQUEST_LINE', 'empty method');
      } else {
        phase = 1;
      }
    } else if (phase === 1) {
      if (c === 0x20) {
        if (buf[i - 1] === 0x20) return refuse(s, 'YW_HTTP_BAD_REQUEST_LINE', 'malformed request-target');
        phase = 2;
      } else if (c === 13) {
        return refuse(s, 'YW_HTTP_BAD_REQUEST_LINE', 'malformed request-target');
      } else if (TARGET_CHAR[c] !== 1) {
        return refuse(s, 'YW_HTTP_BAD_TARGET', 'malformed request-target');
      }
    } else if (phase === 2) {
      if (c === 13) phase = 3;
    } else {
      return refuse(s, 'YW_HTTP_BAD_LINE_ENDING', 'bare CR');
    }
  }
  return more(s, n - start, phase);
}

/** As scanRequestLine, for a field line or the empty line ending the section. */
export function scanFieldLine(buf: Buffer, start: number, s: ScanState, firstField: boolean): number {
  const n = buf.length;
  let phase = s.phase; // 0 name, 1 value, 2 after CR
  for (let i = start + s.scanned; i < n; i++) {
    const c = buf[i]!;
    if (c === 10) return 1;
    if (phase === 0) {
      if (TCHAR[c] === 1) continue;
      if (i === start) {
        if (c === 13) {
          phase = 2;
          continue;
        }
        if (c === 0x20 || c === 0x09) {
          return firstField
            ? refuse(s, 'YW_HTTP_BAD_HEADER_NAME', 'whitespace before the first field line')
            : refuse(s, 'YW_HTTP_OBS_FOLD', 'obs-fold');
        }
        return refuse(s, 'YW_HTTP_BAD_HEADER_NAME', 'field name is not a token');
      }
      if (c !== 0x3a) return refuse(s, 'YW_HTTP_BAD_HEADER_NAME', 'field name not followed by a colon');
      phase = 1;
    } else if (phase === 1) {
      if (FIELD_VALUE[c] === 1) continue;
      if (c !== 13) return refuse(s, 'YW_HTTP_BAD_HEADER_VALUE', 'control character in field value');
      phase = 2;
    } else {
      return refuse(s, 'YW_HTTP_BAD_LINE_ENDING', 'bare CR');
    }
  }
  return more(s, n - start, phase);
}

/** As scanRequestLine, for a chunk-size line. */
export function scanChunkSize(buf: Buffer, start: number, s: ScanState): number {
  const n = buf.length;
  let phase = s.phase; // 0 size, 1 extension, 2 after CR
  for (let i = start + s.scanned; i < n; i++) {
    const c = buf[i]!;
    if (c === 10) return 1;
    if (phase === 0) {
      const v = HEX_VALUE[c]!;
      if (v >= 0) {
        s.size = s.size * 16 + v;
        if (s.size > Number.MAX_SAFE_INTEGER) return refuse(s, 'YW_HTTP_BAD_CHUNK', 'chunk size overflow');
        if (++s.digits > MAX_CHUNK_SIZE_DIGITS) return refuse(s, 'YW_HTTP_BAD_CHUNK', 'chunk size too long');
        continue;
      }
      if (i === start) return refuse(s, 'YW_HTTP_BAD_CHUNK', 'chunk size is not 1*HEXDIG');
      phase = 1;
    }
    if (phase === 1) {
      if (c === 13) phase = 2;
    } else {
      return refuse(s, 'YW_HTTP_BAD_LINE_ENDING', 'bare CR');
    }
  }
  return more(s, n - start, phase);
}
