// One client connection: feeds the parser, runs one exchange at a time
// (pipelined requests wait in the parser's buffer, RFC 9112 9.3.2), keeps the
// connection alive or closes it, and enforces the deadlines that the worker's
// sweep checks. Knows nothing of Python: the exchange is behind an interface.
import type { Socket } from 'node:net';
import { RequestParser } from './parser';
import type { ParseError, ParserLimits, RequestHead } from './request-head';
import { ResponseWriter } from './response-writer';
import { CONTINUE_100, cannedResponse } from './canned';

/** What the connection tells the exchange running on it. */
export interface Exchange {
  /** Request body bytes. Returns false to stop the flow until `Connection.resumeBody()`. */
  onBody(data: Buffer): boolean;
  onBodyEnd(): void;
  /** The body will never complete (malformed, too large, too slow, client gone). */
  onBodyError(reason: string): void;
  /** The client is gone or the connection was torn down: stop the application. */
  onClientGone(): void;
  /** The socket drained after a write that filled its buffer. */
  onDrain(): void;
  /** The 'app' deadline passed: the application took too long. */
  onTimeout(): void;
}

export interface ConnectionOptions {
  readonly limits: ParserLimits;
  readonly idleTimeoutMs: number;
  readonly headerTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  /** 0 disables the request timeout. */
  readonly requestTimeoutMs: number;
  readonly serverName: string;
}

/**
 * Starts the exchange for a request head; it must not finish the exchange
 * synchronously. Returns undefined when no host can take it yet: the
 * connection then waits until `startWaiting()` is called.
 */
export type ExchangeFactory = (connection: Connection, head: RequestHead) => Exchange | undefined;

export interface ConnectionEvents {
  /** An exchange ended (for the access log). */
  exchangeDone(connection: Connection, head: RequestHead, writer: ResponseWriter, durationMs: number): void;
  /** A request was refused before it had a head. */
  rejected(connection: Connection, error: ParseError): void;
  /** The connection is closed. */
  closed(connection: Connection): void;
}

type DeadlineKind = 'idle' | 'head' | 'body' | 'app' | 'linger' | 'none';

const HIGH_WATER = 64 * 1024; // parser bytes held before we stop reading the socket
const BODY_PROGRESS = 64 * 1024; // each this many body bytes earns a fresh body deadline
const DISCARD_LIMIT = 256 * 1024; // unread body we drain to keep a connection; beyond it we close
const LINGER_MS = 2000; // how long a closing connection keeps reading (and dropping) what the client still sends

export class Connection {
  readonly parser: RequestParser;
  /** The response of the exchange in progress (or the last one). */
  writer: ResponseWriter | undefined;
  head: RequestHead | undefined;
  deadline = 0;
  deadlineKind: DeadlineKind = 'idle';
  /** Set by a draining worker: close after the response in progress. */
  closeAfterResponse = false;
  private exchange: Exchange | undefined;
  private bodyFlowing = false;
  private bodyDone = true;
  private bodySinceDeadline = 0;
  private continueSent = false;
  private discarded = 0;
  private startedAt = 0;
  private paused = false;
  /** We sent our FIN and only wait for the client's, dropping what it sends. */
  private closing = false;
  /** A parsed request waits for a Python host (one is being started). */
  waitingForHost = false;
  destroyed = false;

  constructor(
    readonly socket: Socket,
    private readonly options: ConnectionOptions,
    private readonly startExchange: ExchangeFactory,
    private readonly events: ConnectionEvents,
  ) {
    this.parser = new RequestParser(options.limits);
    socket.setNoDelay(true);
    this.setDeadline('idle', options.idleTimeoutMs);
    socket.on('data', this.onData);
    socket.on('drain', this.onSocketDrain);
    socket.on('end', this.onSocketEnd);
    socket.on('error', this.onSocketClose);
    socket.on('close', this.onSocketClose);
  }

  /** No request in progress and no byte of the next one received. */
  get isIdle(): boolean {
    return this.exchange === undefined && !this.waitingForHost && this.parser.state === 'idle';
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.closing) return;
    const wasIdle = this.exchange === undefined && this.parser.state === 'idle';
    this.parser.push(chunk);
    if (wasIdle && this.parser.state !== 'idle') this.setDeadline('head', this.options.headerTimeoutMs);
    this.pump();
  };

  private readonly onSocketDrain = (): void => {
    this.appProgress(); // the client is reading: the exchange is moving
    this.exchange?.onDrain();
  };

  // A client that half-closes after its request still gets the response
  // (RFC 9112 9.6); we close once nothing is in progress.
  private readonly onSocketEnd = (): void => {
    if (this.closing) return void this.socket.destroy();
    const exchange = this.exchange;
    if (exchange === undefined) return this.close();
    this.closeAfterResponse = true;
    if (!this.bodyDone) {
      // No more bytes can come: the application must not wait for them.
      this.bodyDone = true;
      exchange.onBodyError('client closed its side before the body was complete');
    }
  };

  private readonly onSocketClose = (): void => {
    if (this.destroyed) return;
    this.destroyed = true;
    this.deadlineKind = 'none';
    const exchange = this.exchange;
    this.exchange = undefined;
    if (exchange !== undefined) {
      if (!this.bodyDone) exchange.onBodyError('client disconnected');
      exchange.onClientGone();
    }
    this.socket.destroy();
    this.events.closed(this);
  };

  private pump(): void {
    while (!this.destroyed && !this.waitingForHost) {
      const exchange = this.exchange;
      if (exchange !== undefined && (this.bodyDone || !this.bodyFlowing)) break;
      const event = this.parser.next();
      if (event === null) break;
      switch (event.kind) {
        case 'head':
          this.begin(event.head);
          break;
        case 'body':
          if (exchange === undefined) {
            if ((this.discarded += event.data.length) > DISCARD_LIMIT) return this.close();
            break;
          }
          this.bodySinceDeadline += event.data.length;
          if (this.bodySinceDeadline >= BODY_PROGRESS) {
            this.bodySinceDeadline = 0;
            this.setDeadline('body', this.options.bodyTimeoutMs);
          }
          if (!exchange.onBody(event.data)) this.bodyFlowing = false;
          break;
        case 'end':
          if (exchange === undefined) {
            this.setDeadline('idle', this.options.idleTimeoutMs);
            break;
          }
          this.bodyDone = true;
          exchange.onBodyEnd();
          this.waitForApp();
          break;
        case 'error':
          return this.protocolError(event.error);
      }
    }
    this.updateReading();
  }

  private updateReading(): void {
    const full = this.parser.buffered > HIGH_WATER;
    if (full && !this.paused) this.socket.pause();
    else if (!full && this.paused) this.socket.resume();
    this.paused = full;
  }

  private begin(head: RequestHead): void {
    this.head = head;
    this.startedAt = Date.now();
    this.writer = new ResponseWriter(this.socket, head, this.options.serverName);
    this.continueSent = false;
    this.bodyDone = head.bodyKind === 'none';
    this.bodyFlowing = false;
    this.bodySinceDeadline = 0;
    this.waitForApp();
    this.startWaiting();
  }

  /** Starts the exchange for the parsed head, or keeps waiting for a host. */
  startWaiting(): void {
    const head = this.head;
    if (this.destroyed || head === undefined) return;
    const exchange = this.startExchange(this, head);
    this.waitingForHost = exchange === undefined;
    if (exchange === undefined) return;
    this.exchange = exchange;
    // A client that expects 100 Continue sends nothing until the application
    // reads; the exchange then calls sendContinue() and resumeBody().
    if (!this.bodyDone && !head.expectContinue) this.resumeBody();
    else this.pump();
  }

  /** (Re)starts the 'app' deadline: the request timeout. */
  waitForApp(): void {
    this.setDeadline('app', this.options.requestTimeoutMs);
  }

  /** The exchange is ready for (more) request body bytes. */
  resumeBody(): void {
    if (this.bodyFlowing || this.bodyDone || this.exchange === undefined) return;
    this.bodyFlowing = true;
    if (this.deadlineKind !== 'body') this.setDeadline('body', this.options.bodyTimeoutMs);
    this.pump();
  }

  /** The application started reading a body it was asked to confirm (RFC 9110 10.1.1). */
  sendContinue(): void {
    const head = this.head;
    if (head === undefined || !head.expectContinue || this.continueSent || this.writer?.started) return;
    this.continueSent = true;
    this.socket.write(CONTINUE_100);
  }

  /** Progress from the application: push the 'app' deadline back. */
  appProgress(): void {
    if (this.deadlineKind === 'app') this.setDeadline('app', this.options.requestTimeoutMs);
  }

  /**
   * The exchange is over. `clean` false means the response could not be
   * completed: the connection is closed so the client sees the truncation.
   */
  finish(clean: boolean): void {
    const writer = this.writer;
    const head = this.head;
    if (this.exchange === undefined || writer === undefined || head === undefined) return;
    this.exchange = undefined;
    this.events.exchangeDone(this, head, writer, Date.now() - this.startedAt);
    if (!clean) return this.abort();
    if (!writer.keepAlive || this.closeAfterResponse) return this.close();
    if (!this.bodyDone) {
      // An unread body (RFC 9112 6.3, RFC 9110 10.1.1): a client still waiting
      // for 100 Continue may or may not send it, so only closing is safe.
      if (head.expectContinue && !this.continueSent) return this.close();
      this.discarded = 0;
      this.setDeadline('body', this.options.bodyTimeoutMs);
    } else {
      this.setDeadline('idle', this.options.idleTimeoutMs);
    }
    if (this.parser.state === 'head') this.setDeadline('head', this.options.headerTimeoutMs);
    this.pump();
  }

  /**
   * Answers with a canned status when nothing of the response was sent yet,
   * else tears the connection down. Ends the exchange in progress, if any.
   */
  fail(status: number, close = true): void {
    // Only the exchange in progress has a response that may have begun;
    // `writer` may still hold the previous, finished one.
    const writer = this.exchange !== undefined ? this.writer : undefined;
    if (writer !== undefined && writer.started) return this.abort();
    this.socket.write(cannedResponse(status, close, this.options.serverName));
    if (writer !== undefined) {
      writer.status = status;
      if (close) writer.keepAlive = false;
    }
    if (this.exchange !== undefined) this.finish(true);
    else if (close) this.close();
  }

  private protocolError(error: ParseError): void {
    const exchange = this.exchange;
    if (exchange !== undefined) {
      this.bodyDone = true;
      exchange.onBodyError(error.detail);
      exchange.onClientGone();
    } else {
      this.events.rejected(this, error);
    }
    this.deadlineKind = 'none';
    this.fail(error.status, true);
  }

  timeout(): void {
    const kind = this.deadlineKind;
    this.deadlineKind = 'none';
    switch (kind) {
      case 'idle':
        return this.close();
      case 'head':
        this.socket.write(cannedResponse(408, true, this.options.serverName));
        return this.close();
      case 'body': {
        const exchange = this.exchange;
        if (exchange === undefined) return this.close();
        this.bodyDone = true;
        exchange.onBodyError('request body timed out');
        exchange.onClientGone();
        return this.fail(408, true);
      }
      case 'app':
        if (this.waitingForHost) {
          this.waitingForHost = false;
          return this.fail(503, true); // no host came back in time
        }
        return this.exchange === undefined ? this.close() : this.exchange.onTimeout();
      case 'linger':
        return void this.socket.destroy();
      case 'none':
        return;
    }
  }

  private setDeadline(kind: DeadlineKind, ms: number): void {
    this.deadlineKind = ms > 0 ? kind : 'none';
    this.deadline = Date.now() + ms;
  }

  /** Ends the connection after what was written is flushed. */
  close(): void {
    if (this.destroyed || this.closing) return;
    // A lingering close (RFC 9112 9.6): send our FIN, then keep reading and
    // dropping until the client's FIN or LINGER_MS. Destroying the socket
    // while the client still sends (say the rest of a refused body) makes
    // the kernel answer with RST, and the client may lose our response.
    this.closing = true;
    this.socket.end();
    this.socket.resume();
    this.setDeadline('linger', LINGER_MS);
  }

  /** Drops the connection at once: the client must see an incomplete response. */
  abort(): void {
    this.socket.resetAndDestroy?.();
    this.onSocketClose();
  }
}
