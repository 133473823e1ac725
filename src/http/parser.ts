// The HTTP/1.1 request parser: bytes in, events out, no I/O (ARCHITECTURE.md).
// Strict per RFC 9112/9110, stricter than llhttp wherever a lenient reading
// has been used for request smuggling (PEERS.md section 4): CRLF only, no
// obs-fold, no whitespace before a colon, Content-Length = 1*DIGIT once,
// Transfer-Encoding ending in chunked once, chunk lines and extensions
// checked byte by byte.
//
// Pull-based: push() only stores bytes; next() parses as far as the next
// event. Pipelined requests therefore wait here until the connection asks.
//
// Buffering: a request that arrives whole is parsed in place and body events
// are subarrays of the pushed chunk. Only a line split across pushes is
// copied, into an owned store that grows by doubling and is only ever
// appended to, so slices already handed out never change and a head dripped
// byte by byte costs O(n), not O(n^2).
import type { HTTP_ERRORS } from '../errors';
import { DEFAULT_LIMITS } from './request-head';
import type { BodyKind, ParseError, ParseEvent, ParserLimits, RequestHead } from './request-head';
import { checkTransferEncoding } from './fields';
import { LineParser } from './line-parser';
import { newScanState, resetScan, scanChunkSize, scanFieldLine, scanRequestLine } from './line-scan';

type HttpErrorCode = keyof typeof HTTP_ERRORS;

const enum S {
  Idle, // before the request-line, skipping empty lines
  IdleLf, // a CR was seen before the request-line; LF must follow
  RequestLine,
  Fields,
  Length, // Content-Length body
  ChunkSize, // chunk-size line
  ChunkData,
  ChunkCr, // the CRLF after chunk-data
  ChunkLf,
  Trailers,
  End, // the end event is due
}

type LineKind = S.RequestLine | S.Fields | S.ChunkSize | S.Trailers;
const NO_TRAILERS: readonly string[] = Object.freeze([]);
const END_EVENT: ParseEvent = Object.freeze({ kind: 'end', trailers: NO_TRAILERS });

export class RequestParser extends LineParser {
  private st = S.Idle;
  private store: Buffer | null = null; // owned copy; when set, buf === store.subarray(0, buf.length)
  private readonly queue: Buffer[] = [];
  private queued = 0; // bytes in queue
  private failure: ParseEvent | null = null;
  private readonly scan = newScanState();
  private remaining = 0; // bytes left in the Content-Length body or the current chunk
  private bodyTotal = 0; // chunk-data bytes so far

  constructor(limits: ParserLimits = DEFAULT_LIMITS) {
    super(limits);
  }

  /** Append received bytes. They are never modified; body events may be views of them. */
  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    if (this.pos === this.buf.length && this.queued === 0) {
      this.buf = chunk;
      this.pos = 0;
      this.store = null;
      this.dropText();
    } else {
      this.queue.push(chunk);
      this.queued += chunk.length;
    }
  }

  get buffered(): number {
    return this.buf.length - this.pos + this.queued;
  }

  get state(): 'idle' | 'head' | 'body' {
    const st = this.st;
    if (st === S.RequestLine || st === S.Fields) return 'head';
    if (st !== S.Idle && st !== S.IdleLf) return 'body';
    return this.peekStarted() ? 'head' : 'idle';
  }

  /** The next event, or null when more bytes are needed. After an error, always that error. */
  next(): ParseEvent | null {
    if (this.failure !== null) return this.failure;
    for (;;) {
      if (this.pos === this.buf.length && this.queued !== 0) this.take();
      switch (this.st) {
        case S.Idle:
          if (!this.skipEmptyLines()) return this.failure;
          continue;
        case S.IdleLf:
          if (this.pos === this.buf.length) return null;
          if (this.buf[this.pos] !== 10) return this.fail(400, 'YW_HTTP_BAD_LINE_ENDING', 'bare CR before the request-line');
          this.pos++;
          this.st = S.Idle;
          continue;
        case S.RequestLine: {
          const end = this.line(S.RequestLine);
          if (end < 0) return this.failure;
          this.pos = end;
          this.st = S.Fields;
          continue;
        }
        case S.Fields: {
          const end = this.line(S.Fields);
          if (end < 0) return this.failure;
          this.pos = end;
          if (this.lineWasEmpty) return this.finishHead();
          continue;
        }
        case S.Length:
        case S.ChunkData: {
          const avail = this.buf.length - this.pos;
          if (avail === 0) return null;
          const n = avail < this.remaining ? avail : this.remaining;
          const start = this.pos;
          const data = start === 0 && n === avail ? this.buf : this.buf.subarray(start, start + n);
          this.pos = start + n;
          this.remaining -= n;
          if (this.remaining === 0) this.st = this.st === S.Length ? S.End : S.ChunkCr;
          return { kind: 'body', data };
        }
        case S.ChunkSize: {
          const end = this.line(S.ChunkSize);
          if (end < 0) return this.failure;
          this.pos = end;
          if (this.chunkSize === 0) {
            this.startTrailers();
            this.st = S.Trailers;
          } else {
            // RFC 9112 7.1 / RFC 9110 15.5.14: the body limit applies to the decoded length.
            if (this.bodyTotal + this.chunkSize > this.limits.maxBodyBytes) {
              return this.fail(413, 'YW_HTTP_BODY_TOO_LARGE', 'chunked body over maxBodyBytes');
            }
            this.bodyTotal += this.chunkSize;
            this.remaining = this.chunkSize;
            this.st = S.ChunkData;
          }
          continue;
        }
        case S.ChunkCr:
        case S.ChunkLf: {
          // RFC 9112 7.1: chunk = chunk-size [ chunk-ext ] CRLF chunk-data CRLF; anything
          // else after the data means the size lied (h11 CVE-2025-43859).
          if (this.pos === this.buf.length) return null;
          const want = this.st === S.ChunkCr ? 13 : 10;
          if (this.buf[this.pos] !== want) return this.fail(400, 'YW_HTTP_BAD_CHUNK', 'chunk data not followed by CRLF');
          this.pos++;
          this.st = this.st === S.ChunkCr ? S.ChunkLf : S.ChunkSize;
          continue;
        }
        case S.Trailers: {
          const end = this.line(S.Trailers);
          if (end < 0) return this.failure;
          this.pos = end;
          if (this.lineWasEmpty) return this.endMessage(this.trailers.length === 0 ? END_EVENT : { kind: 'end', trailers: this.trailers });
          continue;
        }
        case S.End:
          return this.endMessage(END_EVENT);
      }
    }
  }

  /** RFC 9112 2.2: a server SHOULD ignore at least one empty line (CRLF) before the request-line. */
  private skipEmptyLines(): boolean {
    const buf = this.buf;
    const n = buf.length;
    let p = this.pos;
    while (p < n) {
      const c = buf[p]!;
      if (c === 13) {
        if (p + 1 === n) {
          this.pos = n;
          this.st = S.IdleLf;
          return true;
        }
        if (buf[p + 1] !== 10) {
          this.pos = p;
          this.fail(400, 'YW_HTTP_BAD_LINE_ENDING', 'bare CR before the request-line');
          return false;
        }
        p += 2;
      } else if (c === 10) {
        this.pos = p;
        this.fail(400, 'YW_HTTP_BAD_LINE_ENDING', 'bare LF before the request-line');
        return false;
      } else {
        this.pos = p;
        this.startMessage();
        this.st = S.RequestLine;
        return true;
      }
    }
    this.pos = n;
    return false; // need more bytes (failure is still null)
  }

  /**
   * Parse the line at pos as `kind`; the index after its CRLF, or -1 when more
   * bytes are needed or the line is invalid (then `failure` is set). A line
   * that is all there is parsed in one pass; one that is not is checked as
   * its bytes arrive (scan*) and parsed once its LF is in.
   */
  private line(kind: LineKind): number {
    const scan = this.scan;
    let complete = false;
    for (;;) {
      if (scan.scanned === 0) {
        const end = kind === S.RequestLine ? this.parseRequestLine() : kind === S.ChunkSize ? this.parseChunkSize() : this.parseFieldLine(kind === S.Trailers);
        if (end >= 0) return end;
        if (end === -2) return -1;
        // Cannot happen (the parse stops at the LF at the latest); never spin on it.
        if (complete) {
          this.fail(400, 'YW_HTTP_BAD_REQUEST_LINE', 'line not parsed');
          return -1;
        }
        resetScan(scan);
      }
      const buf = this.buf;
      const r =
        kind === S.RequestLine
          ? scanRequestLine(buf, this.pos, scan)
          : kind === S.ChunkSize
            ? scanChunkSize(buf, this.pos, scan)
            : scanFieldLine(buf, this.pos, scan, this.fieldCount === 0);
      if (r < 0) {
        this.fail(400, scan.code, scan.detail);
        return -1;
      }
      if (r > 0) {
        // The LF is in: the one-pass parse now completes or refuses the line.
        scan.scanned = 0;
        complete = true;
        continue;
      }
      if (!this.checkPartial(kind)) return -1;
      if (this.queued === 0) return -1;
      this.merge();
    }
  }

  /** Limits on a line still missing its LF, so nothing is buffered without bound. */
  private checkPartial(kind: LineKind): boolean {
    const len = this.buf.length - this.pos;
    const lim = this.limits;
    if (kind === S.RequestLine) {
      // A line of maxRequestLine bytes fits in maxRequestLine + 2 with its CRLF (RFC 9112 3: 414).
      return len <= lim.maxRequestLine + 1 || this.refuse(414, 'YW_HTTP_URI_TOO_LONG', 'request-line over maxRequestLine');
    }
    if (kind === S.ChunkSize) {
      // Size digits, extension and CR: CVE-2024-22019 was an unbounded chunk-size line.
      return len <= lim.maxChunkExtension + 34 || this.refuse(400, 'YW_HTTP_CHUNK_EXTENSION_TOO_LONG', 'chunk-size line too long');
    }
    // RFC 6585 5: the line will cost at least len + 1 bytes with its CRLF (the last byte may be its CR).
    return this.fieldBytes + len + 1 <= lim.maxHeaderBytes || this.refuse(431, 'YW_HTTP_HEADERS_TOO_LARGE', 'field section over maxHeaderBytes');
  }

  /** Move the first queued chunk into buf when buf is used up. */
  private take(): void {
    const next = this.queue.shift()!;
    this.queued -= next.length;
    this.buf = next;
    this.pos = 0;
    this.store = null;
    this.dropText();
  }

  /** Append the first queued chunk to the partial line at pos. */
  private merge(): void {
    const next = this.queue.shift()!;
    this.queued -= next.length;
    this.dropText();
    const buf = this.buf;
    const live = buf.length - this.pos;
    if (live === 0) {
      this.buf = next;
      this.pos = 0;
      this.store = null;
      return;
    }
    const store = this.store;
    if (store !== null && buf.length + next.length <= store.length) {
      next.copy(store, buf.length);
      this.buf = store.subarray(0, buf.length + next.length);
      return;
    }
    const need = live + next.length;
    const fresh = Buffer.allocUnsafeSlow(Math.max(need * 2, 1024));
    buf.copy(fresh, 0, this.pos);
    next.copy(fresh, live);
    this.store = fresh;
    this.buf = fresh.subarray(0, need);
    this.pos = 0;
  }

  private finishHead(): ParseEvent {
    const minor = this.minor;
    // RFC 9112 3.2: a server MUST respond 400 to an HTTP/1.1 request that lacks Host.
    if (minor === 1 && this.hostValue === null) return this.fail(400, 'YW_HTTP_BAD_HOST', 'missing Host');
    let bodyKind: BodyKind = 'none';
    let contentLength = 0;
    if (this.te !== null) {
      // RFC 9112 6.1: Transfer-Encoding in HTTP/1.0 means faulty framing.
      if (minor === 0) return this.fail(400, 'YW_HTTP_BAD_TRANSFER_ENCODING', 'Transfer-Encoding in HTTP/1.0');
      // RFC 9112 6.1/6.3: TE with CL is a smuggling attempt; reject rather than guess.
      if (this.contentLength >= 0) return this.fail(400, 'YW_HTTP_CL_AND_TE', 'Content-Length with Transfer-Encoding');
      // RFC 9112 6.1: an empty Transfer-Encoding line next to a chunked one is read
      // differently by different front ends (waitress #465): refuse it.
      if (this.teEmptyLine) return this.fail(400, 'YW_HTTP_BAD_TRANSFER_ENCODING', 'empty Transfer-Encoding line');
      const verdict = checkTransferEncoding(this.te);
      if (verdict === 400) return this.fail(400, 'YW_HTTP_BAD_TRANSFER_ENCODING', 'chunked is not the final coding exactly once: ' + this.te);
      if (verdict === 501) return this.fail(501, 'YW_HTTP_UNKNOWN_TRANSFER_CODING', 'unsupported transfer coding: ' + this.te);
      bodyKind = 'chunked';
      this.bodyTotal = 0;
    } else if (this.contentLength >= 0) {
      if (this.contentLength > this.limits.maxBodyBytes) {
        return this.fail(413, 'YW_HTTP_BODY_TOO_LARGE', 'Content-Length over maxBodyBytes');
      }
      bodyKind = 'length';
      contentLength = this.contentLength;
    }
    const head: RequestHead = {
      method: this.method,
      target: this.target,
      path: this.path,
      query: this.query,
      minorVersion: minor,
      headers: this.headers,
      host: this.targetHost ?? this.hostValue ?? '',
      // RFC 9112 9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
      keepAlive: minor === 1 ? !this.closeToken : this.keepAliveToken && !this.closeToken,
      bodyKind,
      contentLength,
      // RFC 9110 10.1.1: a 100-continue expectation in HTTP/1.0 MUST be ignored.
      expectContinue: minor === 1 && this.expectToken,
    };
    if (bodyKind === 'chunked') {
      this.st = S.ChunkSize;
    } else if (contentLength > 0) {
      this.remaining = contentLength;
      this.st = S.Length;
    } else {
      this.st = S.End; // RFC 9112 6.3 item 7: no CL, no TE -> no body
    }
    return { kind: 'head', head };
  }

  private endMessage(event: ParseEvent): ParseEvent {
    this.st = S.Idle;
    return event;
  }

  /** Whether a byte other than the CRLFs allowed before a request-line is buffered. */
  private peekStarted(): boolean {
    for (let i = this.pos; i < this.buf.length; i++) {
      const c = this.buf[i];
      if (c !== 13 && c !== 10) return true;
    }
    for (const chunk of this.queue) {
      for (let i = 0; i < chunk.length; i++) {
        const c = chunk[i];
        if (c !== 13 && c !== 10) return true;
      }
    }
    return false;
  }

  protected override fail(status: ParseError['status'], code: HttpErrorCode, detail: string): ParseEvent {
    const event: ParseEvent = { kind: 'error', error: { status, code, detail } };
    if (this.failure === null) this.failure = event;
    return this.failure;
  }
}
