// One HTTP/2 stream as the request side of an exchange (ExchangeSide in
// src/http/connection.ts): the exchange drives it exactly as it drives an
// HTTP/1.1 Connection. Request DATA reaches the exchange only while its
// window is open (the stream is paused otherwise, so node:http2 stops
// returning WINDOW_UPDATE to the client: flow control end to end); response
// bytes wait for the stream's 'drain' before the host gets its credit back.
// Each stream keeps one deadline, named by the same model as a connection's
// (src/http/deadlines.ts); the session's sweep checks it.
import type { ServerHttp2Stream } from 'node:http2';
import { constants } from 'node:http2';
import type { Socket } from 'node:net';
import type { Exchange, ExchangeEnd, ExchangeRecord, ExchangeSide } from '../http/connection';
import type { RequestHead } from '../http/request-head';
import { BODY_PROGRESS, DeadlineClock, currentWait, type DeadlineSettings, type Progress, type Wait } from '../http/deadlines';
import { StreamResponse } from './stream-response';

/** Starts the exchange for a stream; undefined when no host can take it yet (the stream waits for `startWaiting()`). */
export type StreamExchangeFactory = (side: StreamSide, head: RequestHead) => Exchange | undefined;

export interface StreamSideEvents {
  exchangeDone(side: StreamSide, record: ExchangeRecord): void;
  /** The stream is over (closed, reset, or its exchange ended and its frames are out). */
  closed(side: StreamSide): void;
}

export class StreamSide implements ExchangeSide {
  readonly writer: StreamResponse;
  readonly directSocket: Socket | undefined = undefined;
  waitingForHost = false;
  /** Whom the stream waits on, and until when; a stream is never 'idle' long (the session's idle timeout covers that), so that wait has no bound here. */
  private readonly clock: DeadlineClock;
  private exchange: Exchange | undefined;
  private bodyDone: boolean;
  private bodyFlowing = false;
  private bodyReading = false;
  private bodyReceived = 0;
  private bodySinceProgress = 0;
  private continueSent = false;
  private startedAt = Date.now();
  /** The same on the monotonic clock, kept only when the access log shows sub-millisecond durations (`fine`). */
  private readonly fineStartedAt: number;
  private gone = false;

  constructor(
    readonly stream: ServerHttp2Stream,
    readonly head: RequestHead,
    /** The session's socket (for the access log and the client's address). */
    readonly socket: Socket,
    settings: DeadlineSettings,
    private readonly maxBodyBytes: number,
    serverName: string,
    private readonly startExchange: StreamExchangeFactory,
    private readonly events: StreamSideEvents,
    /** Time the stream with performance.now too (ExchangeRecord.durationUs). */
    private readonly fine = false,
  ) {
    this.fineStartedAt = fine ? performance.now() : 0;
    this.clock = new DeadlineClock({ ...settings, idleTimeoutMs: 0 });
    this.writer = new StreamResponse(stream, head.method, serverName);
    this.bodyDone = head.bodyKind === 'none';
    if (this.bodyDone) stream.resume(); // an empty DATA frame with END_STREAM may still come: read and dropped
    stream.on('drain', this.onDrain);
    stream.on('error', () => undefined); // 'close' follows, and says it
    stream.on('close', this.onClose);
  }

  get hasRoom(): boolean {
    return !this.stream.writableNeedDrain;
  }

  /** Starts the exchange, or keeps waiting for a host. */
  startWaiting(): void {
    if (this.gone || this.exchange !== undefined || this.startedAt === 0) return;
    const exchange = this.startExchange(this, this.head);
    this.waitingForHost = exchange === undefined;
    if (exchange === undefined) return this.rearm();
    this.exchange = exchange;
    // A client that expects 100 Continue waits for it (RFC 9110 10.1.1): nothing is read until the application reads.
    if (!this.bodyDone && !this.head.expectContinue) this.resumeBody();
    this.rearm();
  }

  resumeBody(): void {
    if (this.bodyFlowing || this.bodyDone || this.exchange === undefined || this.gone) return;
    this.bodyFlowing = true;
    if (!this.bodyReading) {
      this.bodyReading = true;
      this.stream.on('data', this.onBody);
      this.stream.on('end', this.onBodyEnd);
    } else this.stream.resume();
    this.rearm();
  }

  sendContinue(): void {
    if (!this.head.expectContinue || this.continueSent || this.writer.started || this.gone) return;
    this.continueSent = true;
    try {
      this.stream.additionalHeaders({ ':status': 100 });
    } catch {
      // The stream is closing: nothing to confirm.
    }
  }

  appProgress(): void {
    this.progress('app');
    this.rearm();
  }

  finish(clean: boolean, end: ExchangeEnd = clean ? 'complete' : 'aborted'): void {
    if (this.exchange === undefined) return;
    this.exchange = undefined;
    if (!clean) return this.reset(constants.NGHTTP2_INTERNAL_ERROR, end);
    // RFC 9113 8.1: a complete response before the whole request tells the client to stop with RST_STREAM(NO_ERROR).
    if (!this.bodyDone) this.stream.once('finish', () => this.stream.close(constants.NGHTTP2_NO_ERROR));
    this.done(end);
  }

  fail(status: number, _close = true, end: ExchangeEnd = 'complete'): void {
    if (this.exchange === undefined) return;
    this.exchange = undefined;
    if (this.writer.started) return this.reset(constants.NGHTTP2_INTERNAL_ERROR, end);
    this.answer(status, end);
  }

  /** A canned answer (before any of the application's response), then the stream ends. */
  private answer(status: number, end: ExchangeEnd): void {
    this.writer.canned(status);
    if (!this.bodyDone) this.stream.once('finish', () => this.stream.close(constants.NGHTTP2_NO_ERROR));
    this.done(end);
  }

  // ---- stream events -------------------------------------------------------

  private readonly onBody = (chunk: Buffer): void => {
    const exchange = this.exchange;
    if (exchange === undefined) return; // answered already: dropped
    this.bodyReceived += chunk.length;
    if (this.bodyReceived > this.maxBodyBytes) {
      // A body without Content-Length that outgrows --max-body-size (one with it was refused before the app).
      this.stopExchange('request body too large');
      return this.answer(413, 'rejected');
    }
    this.bodySinceProgress += chunk.length;
    if (this.bodySinceProgress >= BODY_PROGRESS) {
      this.bodySinceProgress = 0;
      this.progress('body');
    }
    if (!exchange.onBody(chunk)) {
      this.bodyFlowing = false;
      this.stream.pause(); // no WINDOW_UPDATE until the application reads
    }
    this.rearm();
  };

  private readonly onBodyEnd = (): void => {
    if (this.bodyDone) return;
    this.bodyDone = true;
    this.exchange?.onBodyEnd();
    this.rearm();
  };

  private readonly onDrain = (): void => {
    this.progress('send');
    this.exchange?.onDrain();
    this.rearm();
  };

  private readonly onClose = (): void => {
    if (this.gone) return;
    this.gone = true;
    this.clock.stop();
    this.waitingForHost = false;
    const exchange = this.exchange;
    this.exchange = undefined;
    if (exchange !== undefined) {
      if (!this.bodyDone) exchange.onBodyError('client reset the stream');
      exchange.onClientGone();
    }
    this.done('client-gone');
    this.events.closed(this);
  };

  // ---- deadlines -----------------------------------------------------------

  private rearm(now = 0): void {
    const queued = this.stream.writableLength;
    this.clock.update(currentWait({
      gone: this.gone,
      closing: false,
      waitingForHost: this.waitingForHost,
      exchange: this.exchange !== undefined,
      unsent: queued > 0,
      hostWriting: false,
      wantBody: this.bodyFlowing && !this.bodyDone,
      discarding: false,
      partialHead: false,
    }), queued, now);
  }

  /** Whom the stream waits on now. */
  get wait(): Wait {
    return this.clock.wait;
  }

  private progress(kind: Progress): void {
    this.clock.progress(kind);
  }

  /** Called by the session's sweep; returns the wait that passed its bound, if one did. */
  check(now: number): Wait | undefined {
    this.rearm(now);
    if (!this.clock.passed(now)) return undefined;
    const passed = this.clock.wait;
    this.timeout();
    return passed;
  }

  private timeout(): void {
    switch (this.wait) {
      case 'body':
        this.stopExchange('request body timed out');
        return this.answerOrReset(408, 'body-timeout');
      case 'app':
        return this.exchange?.onTimeout();
      case 'host':
        this.waitingForHost = false;
        return this.answerOrReset(503, 'host-timeout');
      case 'send':
        // The client opens no window for this stream (or reads nothing at
        // all): reset it; the exchange hears onClientGone and CANCELs.
        return this.reset(constants.NGHTTP2_CANCEL, 'send-timeout');
      default:
        return;
    }
  }

  private answerOrReset(status: number, end: ExchangeEnd): void {
    if (this.writer.started) return this.reset(constants.NGHTTP2_CANCEL, end);
    this.answer(status, end);
  }

  /** Stops the exchange because of the client (its body broke or stalled). */
  private stopExchange(reason: string): void {
    const exchange = this.exchange;
    if (exchange === undefined) return;
    this.exchange = undefined;
    this.bodyDone = true;
    exchange.onBodyError(reason);
    exchange.onClientGone();
  }

  /** Ends the stream with RST_STREAM: the client sees an incomplete response. */
  private reset(code: number, end: ExchangeEnd): void {
    const exchange = this.exchange;
    this.exchange = undefined;
    this.done(end);
    exchange?.onClientGone();
    if (!this.stream.destroyed) this.stream.close(code);
  }

  /** Reports the exchange's end, once. */
  private done(end: ExchangeEnd): void {
    const startedAt = this.startedAt;
    if (startedAt === 0) return;
    this.startedAt = 0;
    this.waitingForHost = false;
    let bodyBytes = this.writer.bodyBytes;
    if (end !== 'complete' && end !== 'rejected') bodyBytes = Math.max(0, bodyBytes - this.stream.writableLength);
    const durationUs = this.fine ? (performance.now() - this.fineStartedAt) * 1000 : undefined;
    this.events.exchangeDone(this, { head: this.head, status: this.writer.status, bodyBytes, durationMs: Date.now() - startedAt, durationUs, end });
    if (!this.gone) this.rearm(); // what is still queued for the client keeps its 'send' bound until the stream closes
  }

  /** The session is going away at once (a second stop, the supervisor gone): reset. */
  abort(): void {
    this.reset(constants.NGHTTP2_CANCEL, 'aborted');
  }
}
