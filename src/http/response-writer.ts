// Frames one response on the wire (RFC 9112 6, 7): decides between
// Content-Length, chunked and close-delimited bodies, never sends a body where
// none is allowed, and sends the head together with the first body bytes.
import type { Socket } from 'node:net';
import { appHead } from './app-head';
import { httpDate } from './date';

export interface ResponseRequest {
  readonly method: string;
  readonly minorVersion: 0 | 1;
  readonly keepAlive: boolean;
}

/** The response side an exchange writes to: this writer (HTTP/1.x), or an HTTP/2 stream's (src/http2/stream-response.ts). */
export interface ResponseSink {
  readonly started: boolean;
  /** Writes the head and first body bytes; an error text instead when the application's head is unusable. */
  head(head: string, body: Buffer, complete: boolean): string | undefined;
  /** Body bytes; false when the client side wants a drain before more. */
  data(chunk: Buffer): boolean;
  /** Ends the body; false when it came up short of its Content-Length (the caller cuts the response). */
  end(): boolean;
  /** The head of a body written by the host itself (a direct write), or an error text. */
  directHead(head: string, length: number): Buffer | string;
  /** The direct write did not happen: write the head `directHead` returned. */
  undoDirect(head: Buffer, length: number): void;
}

type Framing = 'none' | 'length' | 'chunked' | 'close';

const COPY_LIMIT = 16 * 1024; // below this, one copied buffer beats a corked writev
const CRLF = Buffer.from('\r\n', 'latin1');
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');

export class ResponseWriter implements ResponseSink {
  /** Status code once the head is written; 0 before. */
  status = 0;
  /** Body bytes the application produced that were sent (for the access log). */
  bodyBytes = 0;
  /** The head as framed for the wire, '' before (for the access log's response-header atoms). */
  sentHead = '';
  /** Whether the connection may carry another request after this response. */
  keepAlive: boolean;
  finished = false;
  private framing: Framing = 'none';
  private corked = false;
  private remaining = 0;
  /** Body bytes of a direct write: counted as sent once it ends well. */
  private directBytes = 0;

  constructor(
    private readonly socket: Socket,
    private readonly request: ResponseRequest,
    private readonly serverName: string,
    /** Asked as the head is framed: whether the connection will close after this response (so the head says it). */
    private readonly mustClose: () => boolean = () => false,
  ) {
    this.keepAlive = request.keepAlive;
  }

  get started(): boolean {
    return this.status !== 0;
  }

  /**
   * Writes the head and the first body bytes. `complete` means `body` is the
   * whole body, so it can be framed by a Content-Length we compute. Returns an
   * error text instead of writing when the application's head is unusable.
   */
  head(head: string, body: Buffer, complete: boolean): string | undefined {
    let headText: string;
    try {
      headText = this.compose(head, body.length, complete);
    } catch (err) {
      if (err instanceof AppHeadError) return err.message;
      throw err;
    }
    if (this.framing !== 'chunked' && (this.framing === 'none' || body.length <= COPY_LIMIT)) {
      // The common small response: head and body in one allocation, one write.
      const sent = this.clip(body);
      const out = Buffer.allocUnsafe(headText.length + sent.length);
      out.write(headText, 0, headText.length, 'latin1');
      sent.copy(out, headText.length);
      this.socket.write(out);
      return undefined;
    }
    this.write(Buffer.from(headText, 'latin1'), body);
    return undefined;
  }

  /**
   * The head of a response whose `length` body bytes someone else writes
   * (the host's direct write): returned instead of written, and the body
   * counted as sent. An error text when the head is unusable or does not
   * frame exactly `length` bytes.
   */
  directHead(head: string, length: number): Buffer | string {
    try {
      const headText = this.compose(head, length, true);
      if (this.framing !== 'length' || this.remaining !== length) {
        this.status = 0; // nothing was sent: the caller may still answer 500
        return 'a direct body must be framed by its Content-Length';
      }
      this.remaining = 0;
      this.directBytes = length;
      return Buffer.from(headText, 'latin1');
    } catch (err) {
      if (err instanceof AppHeadError) return err.message;
      throw err;
    }
  }

  /**
   * The direct write did not happen after all (DIRECT_REFUSED): writes the
   * head `directHead` returned, and expects the `length` body bytes it
   * framed through data() instead.
   */
  undoDirect(head: Buffer, length: number): void {
    this.remaining = length;
    this.directBytes = 0; // the body now crosses the bridge and is counted as it is written
    this.socket.write(head);
  }

  /** Validates the application's head, chooses the framing, and returns the head on the wire. */
  private compose(head: string, bodyLength: number, complete: boolean): string {
    const app = appHead(head);
    if (app.error !== undefined) throw new AppHeadError(app.error);
    const status = app.status;
    if (app.close) this.keepAlive = false;
    let fields = app.prefix;
    // RFC 9110 6.4.1: no content in responses to HEAD, or with 1xx, 204, 304.
    const bodyAllowed = this.request.method !== 'HEAD' && status >= 200 && status !== 204 && status !== 304;
    if (!bodyAllowed) this.framing = 'none';
    else if (app.contentLength >= 0) {
      this.framing = 'length';
      this.remaining = app.contentLength;
    } else if (complete) {
      this.framing = 'length';
      this.remaining = bodyLength;
      fields += `Content-Length: ${bodyLength}\r\n`;
    } else if (this.request.minorVersion === 1) {
      this.framing = 'chunked';
      fields += 'Transfer-Encoding: chunked\r\n';
    } else {
      this.framing = 'close'; // RFC 9112 6.3 item 8: the close ends the body
      this.keepAlive = false;
    }

    if (!app.hasDate && !app.hasServer) fields += dateAndServer(this.serverName);
    else {
      if (!app.hasDate) fields += `Date: ${httpDate()}\r\n`;
      if (!app.hasServer) fields += `Server: ${this.serverName}\r\n`;
    }
    if (this.keepAlive && this.mustClose()) this.keepAlive = false;
    if (!this.keepAlive) fields += 'Connection: close\r\n';
    else if (this.request.minorVersion === 0) fields += 'Connection: keep-alive\r\n';

    this.status = status;
    this.sentHead = fields + '\r\n';
    return this.sentHead;
  }

  /** Records a canned response (src/http/canned.ts) that the connection wrote instead of the application's. */
  canned(status: number, bodyLength: number, close: boolean): void {
    this.status = status;
    this.bodyBytes = bodyLength;
    this.finished = true;
    if (close) this.keepAlive = false;
  }

  /** Sends body bytes; returns false when the socket wants a 'drain' before more. */
  data(chunk: Buffer): boolean {
    // Chunks that arrive together (one read from the host often holds many
    // DATA frames) leave together: one writev instead of one write each.
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(uncork, this);
    }
    return this.write(undefined, chunk);
  }

  /** @internal */
  uncork(): void {
    this.corked = false;
    this.socket.uncork();
  }

  /**
   * Ends the body. Returns false when the response came up short of its
   * Content-Length: the caller must close the connection so the client sees
   * the truncation (RFC 9112 8).
   */
  end(): boolean {
    this.finished = true;
    this.bodyBytes += this.directBytes;
    this.directBytes = 0;
    if (this.framing === 'chunked') this.socket.write(LAST_CHUNK);
    if (this.framing === 'length' && this.remaining > 0) {
      this.keepAlive = false;
      return false;
    }
    return true;
  }

  /** The part of `chunk` the framing lets through; counts it as sent. */
  private clip(chunk: Buffer): Buffer {
    let body = chunk;
    if (this.framing === 'none') body = EMPTY;
    else if (this.framing === 'length') {
      if (body.length > this.remaining) {
        // The application sent more than it declared: cut, and do not reuse
        // a connection whose response disagreed with its own framing.
        body = body.subarray(0, this.remaining);
        this.keepAlive = false;
      }
      this.remaining -= body.length;
    }
    this.bodyBytes += body.length;
    return body;
  }

  private write(head: Buffer | undefined, chunk: Buffer): boolean {
    const body = this.clip(chunk);
    const parts: Buffer[] = head === undefined ? [] : [head];
    if (body.length > 0) {
      if (this.framing === 'chunked') parts.push(Buffer.from(body.length.toString(16) + '\r\n', 'latin1'), body, CRLF);
      else parts.push(body);
    }
    if (parts.length === 0) return !this.socket.writableNeedDrain;
    if (parts.length === 1) return this.socket.write(parts[0] as Buffer);
    let total = 0;
    for (const p of parts) total += p.length;
    if (total <= COPY_LIMIT) return this.socket.write(Buffer.concat(parts, total));
    this.socket.cork();
    let ok = true;
    for (const p of parts) ok = this.socket.write(p);
    this.socket.uncork();
    return ok;
  }
}

const EMPTY = Buffer.alloc(0);

/**
 * `Date: ...\r\nServer: ...\r\n`, built once per second (and server name)
 * rather than per response.
 */
let dateServerLine = '';
let dateServerDate = '';
let dateServerName = '';
function dateAndServer(serverName: string): string {
  const date = httpDate();
  if (date !== dateServerDate || serverName !== dateServerName) {
    dateServerDate = date;
    dateServerName = serverName;
    dateServerLine = `Date: ${date}\r\nServer: ${serverName}\r\n`;
  }
  return dateServerLine;
}

/** The application's head cannot be sent as it is. */
class AppHeadError extends Error {}

function uncork(writer: ResponseWriter): void {
  writer.uncork();
}
