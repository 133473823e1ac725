// The response of one HTTP/2 stream (RFC 9113 8.1): the application's status
// and fields as a HEADERS frame, its body as DATA frames under the stream's
// flow control. The same rules as the HTTP/1.1 writer where HTTP/2 keeps
// them (no body for HEAD, 1xx, 204, 304; a body cut at its Content-Length;
// Date and Server added), and HTTP/2's own: connection-specific fields are
// dropped (RFC 9113 8.2.2), names go lower-case, and a body short of its
// Content-Length ends with RST_STREAM instead of END_STREAM.
import type { ServerHttp2Stream, OutgoingHttpHeaders } from 'node:http2';
import type { ResponseSink } from '../http/response-writer';
import { httpDate } from '../http/date';
import { reasonPhrase } from '../http/canned';

// PEP 3333 hop-by-hop fields, plus what RFC 9113 8.2.2 forbids in HTTP/2.
const CONNECTION_SPECIFIC = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);
const DIGITS = /^[0-9]{1,15}$/;
const EMPTY = Buffer.alloc(0);

export class StreamResponse implements ResponseSink {
  status = 0;
  bodyBytes = 0;
  /** The head in HTTP/1.1 text form, for the access log's response-header atoms. */
  sentHead = '';
  /** No body may be sent (HEAD, 204, 304) or none is left to send. */
  private noBody = false;
  /** Body bytes the Content-Length still allows; undefined: no Content-Length. */
  private remaining: number | undefined;
  private ended = false;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly method: string,
    private readonly serverName: string,
  ) {}

  get started(): boolean {
    return this.status !== 0;
  }

  head(head: string, body: Buffer, complete: boolean): string | undefined {
    const parts = head.split('\0');
    const statusLine = parts[0] ?? '';
    const status = Number(statusLine.slice(0, 3));
    const headers: OutgoingHttpHeaders = { ':status': status };
    let contentLength: number | undefined;
    let text = `HTTP/2 ${statusLine}\r\n`;
    for (let i = 1; i + 1 < parts.length; i += 2) {
      const lower = (parts[i] as string).toLowerCase();
      const value = parts[i + 1] as string;
      if (CONNECTION_SPECIFIC.has(lower)) continue;
      if (lower === 'content-length') {
        const length = DIGITS.test(value) ? Number(value) : NaN;
        if (Number.isNaN(length) || (contentLength !== undefined && contentLength !== length)) {
          return `invalid Content-Length from the application: '${value}'`;
        }
        if (contentLength !== undefined) continue;
        contentLength = length;
        if (status === 204) continue; // RFC 9110 8.6
      }
      const seen = headers[lower];
      headers[lower] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [String(seen), value];
      text += `${lower}: ${value}\r\n`;
    }
    const bodyAllowed = this.method !== 'HEAD' && status >= 200 && status !== 204 && status !== 304;
    if (contentLength === undefined && complete && bodyAllowed) {
      contentLength = body.length;
      headers['content-length'] = String(body.length);
      text += `content-length: ${body.length}\r\n`;
    }
    if (headers['date'] === undefined) {
      headers['date'] = httpDate();
      text += `date: ${String(headers['date'])}\r\n`;
    }
    if (headers['server'] === undefined) {
      headers['server'] = this.serverName;
      text += `server: ${this.serverName}\r\n`;
    }
    this.noBody = !bodyAllowed;
    this.remaining = bodyAllowed ? contentLength : 0;
    const first = this.clip(body);
    const endNow = !bodyAllowed || (complete && first.length === (contentLength ?? first.length));
    try {
      // Node refuses names and values HTTP/2 cannot carry (and the fields it calls connection-specific).
      this.stream.respond(headers, { endStream: endNow && first.length === 0 });
    } catch (err) {
      this.remaining = undefined;
      return `unusable response head: ${(err as Error).message}`;
    }
    this.status = status;
    this.sentHead = `${text}\r\n`;
    if (first.length > 0) {
      if (endNow) this.finishStream(first);
      else this.stream.write(first);
    } else if (endNow) this.ended = true;
    return undefined;
  }

  /** A canned response (src/http/canned.ts's text) the stream side sends instead of the application's. */
  canned(status: number): number {
    const body = Buffer.from(`${status} ${reasonPhrase(status)}\n`, 'latin1');
    const headers: OutgoingHttpHeaders = {
      ':status': status,
      'content-type': 'text/plain; charset=utf-8',
      'content-length': String(body.length),
      date: httpDate(),
      server: this.serverName,
    };
    this.status = status;
    this.sentHead = `HTTP/2 ${status} ${reasonPhrase(status)}\r\n\r\n`;
    this.bodyBytes = this.method === 'HEAD' ? 0 : body.length;
    try {
      this.stream.respond(headers, { endStream: this.method === 'HEAD' });
      if (this.method !== 'HEAD') this.finishStream(body);
    } catch {
      // The stream closed under us: nothing to answer.
    }
    this.ended = true;
    return this.bodyBytes;
  }

  data(chunk: Buffer): boolean {
    const body = this.clip(chunk);
    if (body.length === 0 || this.ended || this.stream.destroyed) return !this.stream.writableNeedDrain;
    return this.stream.write(body);
  }

  end(): boolean {
    if (this.remaining !== undefined && this.remaining > 0 && !this.noBody) return false; // short: the side resets the stream
    if (!this.ended) this.finishStream(EMPTY);
    return true;
  }

  directHead(): string {
    return 'direct writes are not offered on HTTP/2';
  }

  undoDirect(): void {
    // Never called: directHead never returns a head.
  }

  private finishStream(last: Buffer): void {
    this.ended = true;
    if (!this.stream.destroyed) this.stream.end(last);
  }

  /** The part of `chunk` the response may still carry; counts it as sent. */
  private clip(chunk: Buffer): Buffer {
    if (this.noBody) return EMPTY;
    let body = chunk;
    if (this.remaining !== undefined) {
      if (body.length > this.remaining) body = body.subarray(0, this.remaining);
      this.remaining -= body.length;
    }
    this.bodyBytes += body.length;
    return body;
  }
}
