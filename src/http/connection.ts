// One client connection: feeds the parser, runs one exchange at a time
// (pipelined requests wait in the parser's buffer, RFC 9112 9.3.2), keeps the
// connection alive or closes it, and keeps one deadline: the bound of whom it
// waits on now (the policy is in deadlines.ts; the worker's sweep checks it).
// Knows nothing of Python: the exchange is behind an interface.
import type { Socket } from 'node:net';
import { RequestParser } from './parser';
import type { ParseError, ParserLimits, RequestHead } from './request-head';
import { ResponseWriter, type ResponseSink } from './response-writer';
import { CONTINUE_100, cannedBodyLength, cannedResponse } from './canned';
import { BODY_PROGRESS, DeadlineClock, currentWait, type DeadlineSettings, type Progress, type Wait } from './deadlines';

/** What the connection tells the exchange running on it. */
export interface Exchange {
  /** The host writes the response body to the socket itself (a direct write): it owns that wait's bound. */
  readonly hostWriting: boolean;
  /** Request body bytes. Returns false to stop the flow until `Connection.resumeBody()`. */
  onBody(data: Buffer): boolean;
  onBodyEnd(): void;
  /** The body will never complete (malformed, too large, too slow, client gone). */
  onBodyError(reason: string): void;
  /** The client is gone or the connection was torn down: stop the application (CANCEL). */
  onClientGone(): void;
  /** The socket drained after a write that filled its buffer. */
  onDrain(): void;
  /** The 'app' deadline passed: the application took too long. */
  onTimeout(): void;
}

/**
 * What an exchange drives: one request's client side and its response. An
 * HTTP/1.1 Connection is one; an HTTP/2 stream (src/http2/stream-side.ts) is
 * another, so the exchange (src/worker/exchange.ts) serves both unchanged.
 */
export interface ExchangeSide {
  /** The response of the exchange in progress. */
  readonly writer: ResponseSink | undefined;
  /** The socket a direct write may take over; undefined: never offer one (HTTP/2 multiplexes the socket). */
  readonly directSocket: Socket | undefined;
  /** A direct write hands `directSocket` to a host, which holds a copy until FORGET (only sides that have one). */
  sharesSocket?(): void;
  /** Whether the client side takes more response bytes now (false: wait for onDrain). */
  readonly hasRoom: boolean;
  finish(clean: boolean, end?: ExchangeEnd): void;
  fail(status: number, close?: boolean, end?: ExchangeEnd): void;
  appProgress(): void;
  sendContinue(): void;
  resumeBody(): void;
}

export interface ConnectionOptions extends Omit<DeadlineSettings, 'lingerMs'> {
  readonly limits: ParserLimits;
  readonly serverName: string;
  /**
   * Time each request with the monotonic clock too (performance.now), for
   * ExchangeRecord.durationUs: set only when the access log shows durations
   * below the millisecond (src/worker/access-logger.ts), since it costs a
   * clock read more per request.
   */
  readonly fineDuration?: boolean;
}

/**
 * Starts the exchange for a request head; it must not finish the exchange
 * synchronously. Returns undefined when no host can take it yet: the
 * connection then waits until `startWaiting()` is called.
 */
export type ExchangeFactory = (connection: Connection, head: RequestHead) => Exchange | undefined;

/**
 * How an exchange ended.
 * - `complete`: the response went out whole (whatever its status, including
 *   the canned 500 of an app that failed before its first byte).
 * - `aborted`: the response was cut after it began (app error mid-body, a
 *   short body, a failed direct write); the connection was dropped.
 * - `client-gone`: the client closed or reset the connection first.
 * - `host-gone`: the Python host died (502, or a cut response).
 * - `app-timeout`: the request timeout passed (504, or a cut response).
 * - `host-timeout`: no host came up in time (503).
 * - `head-timeout`, `body-timeout`: the client was too slow to send (408).
 * - `send-timeout`: the client took no response bytes for the send timeout.
 * - `rejected`: the request broke HTTP (4xx/5xx canned, see `rejected`).
 */
export type ExchangeEnd =
  | 'complete' | 'aborted' | 'client-gone' | 'host-gone' | 'app-timeout' | 'host-timeout'
  | 'head-timeout' | 'body-timeout' | 'send-timeout' | 'rejected';

/**
 * One event per exchange, whatever ended it (for the access log). An
 * exchange begins with the first byte of a request head.
 */
export interface ExchangeRecord {
  /** The request head; undefined when none was complete (head timeout, parse error). */
  readonly head: RequestHead | undefined;
  /** The status sent to the client; 0 when no status line left. */
  readonly status: number;
  /**
   * Response body bytes that left Node: those written minus those still
   * queued when the connection was dropped. The body of a direct write
   * counts once the host reports it complete (an aborted one counts 0).
   */
  readonly bodyBytes: number;
  /** From the request's start (head parsed, or first head byte) to the end. */
  readonly durationMs: number;
  /** The same in microseconds from the monotonic clock, with sub-millisecond resolution; only with ConnectionOptions.fineDuration. */
  readonly durationUs?: number | undefined;
  readonly end: ExchangeEnd;
}

export interface ConnectionEvents {
  /** An exchange ended: exactly once per request started on the connection. */
  exchangeDone(connection: Connection, record: ExchangeRecord): void;
  /** A request was refused before it had a head (also ends as an exchange: `rejected`). */
  rejected(connection: Connection, error: ParseError): void;
  /** The connection is closed. */
  closed(connection: Connection): void;
}

const HIGH_WATER = 64 * 1024; // parser bytes held before we stop reading the socket
const DISCARD_LIMIT = 256 * 1024; // unread body we drain to keep a connection; beyond it we close
const LINGER_MS = 2000; // how long a closing connection keeps reading (and dropping) what the client still sends

/** The deadline settings of the connections sharing `options` (one object per worker, not a copy per connection). */
const settingsOf = new WeakMap<ConnectionOptions, DeadlineSettings>();
function deadlineSettings(options: ConnectionOptions): DeadlineSettings {
  let settings = settingsOf.get(options);
  if (settings === undefined) settingsOf.set(options, (settings = { ...options, lingerMs: LINGER_MS }));
  return settings;
}

export class Connection implements ExchangeSide {
  readonly parser: RequestParser;
  /** The response of the exchange in progress (or the last one). */
  writer: ResponseWriter | undefined;
  head: RequestHead | undefined;
  /** Whom we wait on now, and until when (src/http/deadlines.ts). */
  private readonly clock: DeadlineClock;
  /** Set by a draining worker: close after the response in progress. */
  closeAfterResponse = false;
  private exchange: Exchange | undefined;
  private bodyFlowing = false;
  private bodyDone = true;
  private bodySinceProgress = 0;
  /** Body bytes of the request in progress handed to its exchange. */
  private bodyDelivered = 0;
  private continueSent = false;
  private discarded = 0;
  /** When the request in progress began (0: none is; its exchangeDone is owed). */
  private startedAt = 0;
  /** The same on the monotonic clock (performance.now), kept only with options.fineDuration. */
  private fineStartedAt = 0;
  private paused = false;
  /** We sent our FIN and only wait for the client's, dropping what it sends. */
  private closing = false;
  /** The client sent its FIN: requests it pipelined before are still answered, then we close. */
  private clientEnded = false;
  /**
   * Another process may hold a copy of this socket (a direct write's host):
   * closing our descriptor would then not end the connection, so a close
   * always goes through shutdown (our FIN) and lingers.
   */
  private socketShared = false;
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
    this.clock = new DeadlineClock(deadlineSettings(options), 'idle');
    // TCP_NODELAY is already set: inherited from the listening socket, or set by the server or the dealer (src/worker/worker.ts).
    socket.on('data', this.onData);
    socket.on('drain', this.onSocketDrain);
    socket.on('end', this.onSocketEnd);
    socket.on('error', this.onSocketClose);
    socket.on('close', this.onSocketClose);
  }

  get directSocket(): Socket {
    return this.socket;
  }

  sharesSocket(): void {
    this.socketShared = true;
  }

  get hasRoom(): boolean {
    return !this.socket.writableNeedDrain;
  }

  /** No request in progress and no byte of the next one received. */
  get isIdle(): boolean {
    return this.exchange === undefined && !this.waitingForHost && this.parser.state === 'idle';
  }

  // ---- deadlines -------------------------------------------------------------

  /** Bytes Node still holds for the client (its stream buffer, or libuv's queue). */
  private queued(): number {
    const handle = (this.socket as unknown as { _handle?: { writeQueueSize?: number } | null })._handle;
    return this.socket.writableLength + (handle?.writeQueueSize ?? 0);
  }

  /**
   * Names whom we wait on now; a new wait gets a fresh deadline, the same
   * one keeps its own (progress re-arms it, see `progress`). Called after
   * every change of state and by each sweep.
   */
  private rearm(now = 0): void {
    const queued = this.queued();
    this.clock.update(currentWait({
      gone: this.destroyed,
      closing: this.closing,
      waitingForHost: this.waitingForHost,
      exchange: this.exchange !== undefined,
      unsent: queued > 0,
      hostWriting: this.exchange?.hostWriting ?? false,
      wantBody: this.bodyFlowing && !this.bodyDone,
      discarding: this.exchange === undefined && !this.bodyDone,
      partialHead: this.exchange === undefined && this.parser.state === 'head',
    }), queued, now);
  }

  /** Whom we wait on now (for the sweep's metrics and the tests). */
  get wait(): Wait {
    return this.clock.wait;
  }

  /** Progress by whoever we wait on: re-arms the wait it belongs to. */
  private progress(kind: Progress): void {
    this.clock.progress(kind);
  }

  /** Called by the worker's sweep: re-reads the state, enforces the deadline, and returns the wait whose bound passed, if one did (for the metrics). */
  check(now: number): Wait | undefined {
    this.rearm(now);
    if (!this.clock.passed(now)) return undefined;
    const passed = this.clock.wait;
    this.timeout();
    return passed;
  }

  // ---- socket events ---------------------------------------------------------

  private readonly onData = (chunk: Buffer): void => {
    if (this.closing) return;
    const between = this.startedAt === 0 && this.exchange === undefined;
    this.parser.push(chunk);
    // A request begins with its first head byte (for its duration and its exchangeDone).
    if (between && this.parser.state === 'head') this.markStart();
    this.pump();
  };

  private readonly onSocketDrain = (): void => {
    this.progress('send'); // the client is reading
    this.exchange?.onDrain();
    this.rearm();
  };

  // A client that half-closes after its requests still gets the responses
  // (RFC 9112 9.6), pipelined ones included; we close once none is left.
  private readonly onSocketEnd = (): void => {
    if (this.closing) {
      // Both FINs are out; Node destroys the socket itself once what we queued is flushed.
      if (this.queued() === 0) this.socket.destroy();
      return;
    }
    this.clientEnded = true;
    this.pump();
  };

  private readonly onSocketClose = (): void => {
    if (this.destroyed) return;
    this.destroyed = true;
    this.clock.stop();
    const exchange = this.exchange;
    this.exchange = undefined;
    this.waitingForHost = false;
    if (exchange !== undefined) {
      if (!this.bodyDone) exchange.onBodyError('client disconnected');
      exchange.onClientGone();
    }
    this.socket.destroy();
    this.done('client-gone');
    this.events.closed(this);
  };

  // ---- requests --------------------------------------------------------------

  /** Set while pump() runs: a nested call (an exchange starting, the body resuming) leaves the work to the running loop, which re-reads the state each turn. */
  private pumping = false;

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      this.pumpEvents();
    } finally {
      this.pumping = false;
    }
  }

  private pumpEvents(): void {
    while (!this.destroyed && !this.closing && !this.waitingForHost) {
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
          this.bodyDelivered += event.data.length;
          this.bodySinceProgress += event.data.length;
          if (this.bodySinceProgress >= BODY_PROGRESS) {
            this.bodySinceProgress = 0;
            this.progress('body');
          }
          if (!exchange.onBody(event.data)) this.bodyFlowing = false;
          break;
        case 'end':
          this.bodyDone = true;
          if (exchange !== undefined) exchange.onBodyEnd();
          break;
        case 'error':
          return this.protocolError(event.error);
      }
    }
    if (this.clientEnded && !this.destroyed && !this.closing) this.afterClientEnd();
    this.updateReading();
    this.rearm();
  }

  /** The client's FIN came: nothing it did not send yet can arrive. */
  private afterClientEnd(): void {
    const exchange = this.exchange;
    if (exchange !== undefined) {
      // A body we still want but do not hold will never complete; one
      // waiting in our buffer (the window is closed) still will.
      if (!this.bodyDone && this.bodyFlowing) {
        this.bodyDone = true;
        exchange.onBodyError('client closed its side before the body was complete');
      }
      return;
    }
    if (!this.waitingForHost) this.close(); // no complete request is left
  }

  private updateReading(): void {
    // A head we have not seen the end of is read on: the parser's own limits
    // (--max-header-size, --max-request-line) bound that buffer, and pausing
    // would leave a legal head longer than HIGH_WATER waiting for the header
    // timeout. What we hold back is the pipelined next request.
    const readingHead = this.exchange === undefined && !this.waitingForHost && this.parser.state === 'head';
    const full = this.parser.buffered > HIGH_WATER && !readingHead;
    if (full && !this.paused) this.socket.pause();
    else if (!full && this.paused) this.socket.resume();
    this.paused = full;
  }

  private begin(head: RequestHead): void {
    this.head = head;
    if (this.startedAt === 0) this.markStart(); // a pipelined request, parsed from our buffer
    this.writer = new ResponseWriter(this.socket, head, this.options.serverName, this.mustClose);
    this.continueSent = false;
    this.bodyDone = head.bodyKind === 'none';
    this.bodyFlowing = false;
    this.bodySinceProgress = 0;
    this.bodyDelivered = 0;
    this.startWaiting();
  }

  /**
   * Decided when a response head is written, so the head can say it
   * (RFC 9110 10.1.1, RFC 9112 9.6): a draining worker closes; so does a
   * response that leaves before the application read the whole body when
   * the client was to confirm it (it may or may not send it), or when what
   * is left is more than we drop to keep a connection (or of unknown size).
   */
  private readonly mustClose = (): boolean => {
    if (this.closeAfterResponse) return true;
    const head = this.head;
    if (this.bodyDone || head === undefined) return false;
    if (head.expectContinue && !this.continueSent) return true;
    return head.bodyKind === 'chunked' || head.contentLength - this.bodyDelivered > DISCARD_LIMIT;
  };

  /** Starts the exchange for the parsed head, or keeps waiting for a host. */
  startWaiting(): void {
    const head = this.head;
    if (this.destroyed || this.closing || head === undefined || this.startedAt === 0) return;
    const exchange = this.startExchange(this, head);
    this.waitingForHost = exchange === undefined;
    if (exchange === undefined) return this.rearm();
    this.exchange = exchange;
    // A client that expects 100 Continue sends nothing until the application
    // reads; the exchange then calls sendContinue() and resumeBody().
    if (!this.bodyDone && !head.expectContinue) this.resumeBody();
    else this.pump();
  }

  /** The exchange is ready for (more) request body bytes. */
  resumeBody(): void {
    if (this.bodyFlowing || this.bodyDone || this.exchange === undefined) return;
    this.bodyFlowing = true;
    this.pump();
  }

  /** The application started reading a body it was asked to confirm (RFC 9110 10.1.1). */
  sendContinue(): void {
    const head = this.head;
    if (head === undefined || !head.expectContinue || this.continueSent || this.writer?.started) return;
    this.continueSent = true;
    this.socket.write(CONTINUE_100);
  }

  /** Progress from the application (a piece of the response): re-arms the 'app' wait. */
  appProgress(): void {
    this.progress('app');
    this.rearm();
  }

  /** The exchange changed what we wait on (a direct write began or ended, a write filled the socket). */
  stateChanged(): void {
    this.rearm();
  }

  /**
   * The exchange is over. `clean` false means the response could not be
   * completed: the connection is closed so the client sees the truncation.
   */
  finish(clean: boolean, end: ExchangeEnd = clean ? 'complete' : 'aborted'): void {
    const writer = this.writer;
    const head = this.head;
    if (this.exchange === undefined || writer === undefined || head === undefined) return;
    this.exchange = undefined;
    if (!clean) return this.abort(end);
    this.done(end);
    this.discarded = 0;
    if (!writer.keepAlive || this.closeAfterResponse) return this.close(head);
    if (!this.bodyDone && head.expectContinue && !this.continueSent) {
      // An unread body the client was to confirm (RFC 9110 10.1.1): it may
      // or may not send it, so only closing is safe (the head said so).
      return this.close();
    }
    // An unread body is read and dropped (up to DISCARD_LIMIT), then the
    // next request is served.
    this.pump();
  }

  /**
   * The exchange in progress gives up: answers with a canned status when
   * nothing of the response was sent yet, else tears the connection down.
   */
  fail(status: number, close = true, end: ExchangeEnd = 'complete'): void {
    const writer = this.writer;
    if (this.exchange === undefined || writer === undefined) return;
    if (writer.started) {
      this.exchange = undefined; // it stopped itself
      return this.abort(end);
    }
    const closing = close || this.mustClose();
    this.socket.write(cannedResponse(status, closing, this.options.serverName));
    writer.canned(status, cannedBodyLength(status), closing);
    this.finish(true, end);
  }

  /** Answers the request in progress (whose exchange, if any, is stopped) with a canned status, and closes. */
  private answer(status: number, end: ExchangeEnd): void {
    const writer = this.head !== undefined ? this.writer : undefined;
    if (writer !== undefined && writer.started) return this.abort(end);
    this.socket.write(cannedResponse(status, true, this.options.serverName));
    if (writer !== undefined) writer.canned(status, cannedBodyLength(status), true);
    else this.cannedStatus = status;
    this.done(end);
    this.close();
  }

  /** The status of a canned answer to a request that has no head (so no writer). */
  private cannedStatus = 0;

  /** Stops the exchange in progress because of the client (a broken or too slow body). */
  private stopExchange(reason: string): void {
    const exchange = this.exchange;
    if (exchange === undefined) return;
    this.exchange = undefined;
    this.bodyDone = true;
    exchange.onBodyError(reason);
    exchange.onClientGone();
  }

  private protocolError(error: ParseError): void {
    if (this.exchange !== undefined) this.stopExchange(error.detail);
    else this.events.rejected(this, error);
    this.answer(error.status, 'rejected');
  }

  private timeout(): void {
    switch (this.wait) {
      case 'idle':
        return this.close();
      case 'head':
        return this.answer(408, 'head-timeout');
      case 'body':
        if (this.exchange === undefined) return this.close(); // the unread body of an answered request
        this.stopExchange('request body timed out');
        return this.answer(408, 'body-timeout');
      case 'app':
        if (this.exchange !== undefined) return this.exchange.onTimeout();
        return this.close();
      case 'host':
        this.waitingForHost = false; // no host came back in time
        return this.answer(503, 'host-timeout');
      case 'send':
        // The client takes nothing: drop it; the exchange, if any, hears
        // onClientGone and tells the application to stop (CANCEL).
        return this.abort('send-timeout');
      case 'linger':
        return void this.socket.destroy();
      case 'direct':
      case 'none':
        return;
    }
  }

  private markStart(): void {
    this.startedAt = Date.now();
    if (this.options.fineDuration === true) this.fineStartedAt = performance.now();
  }

  /** Reports the end of the request in progress, once. */
  private done(end: ExchangeEnd): void {
    const startedAt = this.startedAt;
    if (startedAt === 0) return;
    this.startedAt = 0;
    const head = this.head;
    this.head = undefined;
    const writer = head !== undefined ? this.writer : undefined;
    const status = writer !== undefined ? writer.status : this.cannedStatus;
    this.cannedStatus = 0;
    let bodyBytes = writer !== undefined ? writer.bodyBytes : status !== 0 ? cannedBodyLength(status) : 0;
    // Dropped: what is still queued never left.
    if (writer !== undefined && end !== 'complete' && end !== 'rejected') bodyBytes = Math.max(0, bodyBytes - this.socket.writableLength);
    const durationUs = this.options.fineDuration === true ? (performance.now() - this.fineStartedAt) * 1000 : undefined;
    this.events.exchangeDone(this, { head, status, bodyBytes, durationMs: Date.now() - startedAt, durationUs, end });
  }

  /**
   * Ends the connection after what was written is flushed. `lastHead`: the
   * request just answered, when its response is why we close.
   */
  close(lastHead?: RequestHead): void {
    if (this.destroyed || this.closing) return;
    this.closing = true;
    if (lastHead !== undefined && this.closesQuietly(lastHead)) {
      // close(2) sends what the kernel still holds, then our FIN: no
      // shutdown(2), and no wake-up for the client's FIN (a third of what a
      // connection of one small request costs us, bench/results/profile.md).
      this.socket.destroy();
      return;
    }
    // A lingering close (RFC 9112 9.6): send our FIN, then keep reading and
    // dropping until the client's FIN or LINGER_MS. Destroying the socket
    // while the client still sends (say the rest of a refused body) makes
    // the kernel answer with RST, and the client may lose our response.
    this.socket.end();
    this.socket.resume();
    this.rearm();
  }

  /**
   * Whether closing after the response to `head` needs no lingering: the
   * client said it sends nothing more (that request asked to close, RFC 9112 9.6: "MUST NOT send
   * further requests"), all of it was read and none is left in our buffer,
   * and Node holds no byte for it (the kernel has them all). Then nothing
   * can arrive that would make close(2) answer with RST, as nginx decides
   * ("lingering_close on"). A close of our own choosing (an error, a
   * refused or unread body, a draining worker) still lingers, and so does
   * TLS, whose close_notify leaves through end(), and a socket a host holds
   * a copy of.
   */
  private closesQuietly(head: RequestHead): boolean {
    return (
      !head.keepAlive && this.bodyDone && !this.clientEnded && !this.socketShared &&
      this.parser.buffered === 0 && this.queued() === 0 &&
      (this.socket as { encrypted?: boolean }).encrypted !== true
    );
  }

  /** Drops the connection at once: the client must see an incomplete response. */
  abort(end: ExchangeEnd = 'aborted'): void {
    if (this.destroyed) return;
    this.done(end);
    this.socket.resetAndDestroy?.();
    this.onSocketClose();
  }
}
