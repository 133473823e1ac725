// One request/response pair carried over one host stream: the only place
// where the HTTP side (Connection, ResponseWriter) meets the bridge (Host).
// This file is the exchange itself: frames, windows and credit, timeouts.
// The direct hand-over is in exchange-direct.ts, file sending in
// exchange-file.ts.
import type { Exchange, ExchangeSide } from '../http/connection';
import type { RequestHead } from '../http/request-head';
import type { Host, StreamHandler } from '../bridge/host';
import {
  FrameType, MAX_PAYLOAD, decodeDirectPayload, decodeFilePayload, decodeResponsePayload, encodeFrame, encodeTextFrame, encodeU32Frame,
  frameHeader,
  type DirectRequest,
} from '../bridge/protocol';
import { log } from '../log/logger';
import { WORKER_ERRORS } from '../errors';
import { requestPayload, type ConnectionFacts } from './environ';
import { handOverForDirect } from './exchange-direct';
import { sendFile, type FileSend } from './exchange-file';

// Response allowance goes back to the host in batches of at least this much:
// one CREDIT per 64 KiB, not one per chunk. It cannot stall the host: a host
// that waits for credit has its whole window (1 MiB) owed to it.
const CREDIT_BATCH = 64 * 1024;

export interface ExchangeOptions {
  readonly requestWindow: number;
}

export class BridgeExchange implements Exchange, StreamHandler {
  readonly stream: number;
  /** Response bytes the host writes to the client itself (a direct write), for the metrics. */
  hostWrote = 0;
  /** Request body bytes we may still send before the host returns a WINDOW. */
  private window: number;
  /** Response bytes written while the socket was full, owed to the host as CREDIT after 'drain'. */
  private owedCredit = 0;
  /** The host sent the stream's last frame (or died): nothing more will come. */
  private hostDone = false;
  /** The connection no longer waits for us (finished, failed, or gone). */
  private detached = false;
  private file: FileSend | undefined;
  /** The request body failed (client gone, malformed, too slow): an app error after it is the client's doing. */
  private bodyFailed = false;
  /** The host writes (or is about to write) the response body to the client socket itself (DIRECT, no END yet). */
  private direct = false;
  /** The head framed for a direct write and its body length, written by us if the write is refused or undone. */
  private directHead: { readonly head: Buffer; readonly length: number } | undefined;

  constructor(
    private readonly connection: ExchangeSide,
    readonly host: Host,
    private readonly head: RequestHead,
    facts: ConnectionFacts,
    options: ExchangeOptions,
    private readonly onTimeoutRecycle: (host: Host, stream: number) => void,
  ) {
    this.window = options.requestWindow;
    // On the transport, not the scheme: an https scheme from a PROXY header or
    // X-Forwarded-Proto still leaves a plain TCP socket the host can write to.
    // HTTP/2 never offers one (no directSocket): the socket carries other streams.
    const direct = !facts.tls && host.takesSockets && connection.directSocket !== undefined;
    const payload = requestPayload(head, facts, direct);
    if (payload.length > MAX_PAYLOAD) {
      // Legal settings (--max-header-size up to 16M, plus the request line)
      // allow a head larger than a frame; sent, it would make the host drop
      // the bridge and every request on it. It never crosses: 431, this
      // request only (no stream was opened, so nothing is owed to the host).
      this.stream = 0;
      this.hostDone = true;
      log.info(`${head.method} ${head.target.slice(0, 100)}: request head of ${payload.length} bytes is too large for the bridge (16 MiB); answering 431`);
      // The factory must not end the exchange synchronously (ExchangeFactory).
      queueMicrotask(() => {
        if (this.detached) return;
        this.detached = true;
        connection.fail(431, true, 'rejected');
      });
      return;
    }
    this.stream = host.openStream(this);
    host.send(encodeTextFrame(FrameType.REQUEST, this.stream, payload));
  }

  // ---- from the connection -------------------------------------------------

  get hostWriting(): boolean {
    return this.direct;
  }

  onBody(data: Buffer): boolean {
    if (this.hostDone) return true; // the application is done: the rest is discarded
    this.host.send(frameHeader(FrameType.BODY, this.stream, data.length));
    this.host.send(data);
    this.window -= data.length;
    return this.window > 0;
  }

  onBodyEnd(): void {
    if (!this.hostDone) this.host.send(encodeFrame(FrameType.BODY_END, this.stream));
  }

  onBodyError(reason: string): void {
    this.bodyFailed = true;
    if (!this.hostDone) this.host.send(encodeFrame(FrameType.BODY_ERROR, this.stream, Buffer.from(reason, 'utf8')));
  }

  onClientGone(): void {
    this.detached = true;
    this.file?.destroy();
    if (!this.hostDone) this.host.send(encodeFrame(FrameType.CANCEL, this.stream));
  }

  onDrain(): void {
    this.grantCredit();
    this.file?.resume();
  }

  /** The request timeout passed while the connection waited on the application (never on the client). */
  onTimeout(): void {
    log.error(`${WORKER_ERRORS.YW_REQUEST_TIMEOUT.code}: ${this.head.method} ${this.head.target}: ${WORKER_ERRORS.YW_REQUEST_TIMEOUT.message}`);
    if (!this.hostDone) {
      // CANCEL first: the app's thread stops at its next chance and the
      // iterable's close() runs (PEP 3333) before the host is retired.
      this.cancel();
      this.onTimeoutRecycle(this.host, this.stream);
    }
    this.detach();
    this.connection.fail(504, true, 'app-timeout'); // or a cut response, if it had begun
  }

  // ---- from the host -------------------------------------------------------

  onFrame(type: number, payload: Buffer): void {
    switch (type) {
      case FrameType.HEAD:
      case FrameType.HEAD_END:
        return this.onHead(payload, type === FrameType.HEAD_END);
      case FrameType.DATA:
        return this.onData(payload);
      case FrameType.END:
        // A direct write's bytes left through the host's copy of the socket,
        // which Node's byte counts never see (the metrics add them).
        if (this.direct && this.directHead !== undefined) this.hostWrote = this.directHead.head.length + this.directHead.length;
        this.endStream();
        return this.finish(this.connection.writer?.end() ?? false);
      case FrameType.FILE:
        return this.sendFile(payload);
      case FrameType.DIRECT:
        return this.onDirect(decodeDirectPayload(payload));
      case FrameType.DIRECT_UNDONE:
        // Node sent the socket but it never reached the host: the channel
        // is broken, so no more direct writes there; this body comes over the bridge.
        this.host.stopDirect('a socket sent over the IPC channel never reached the host');
        return this.bridgeDirectBody();
      case FrameType.ABORT:
        this.endStream();
        return this.onAbort(payload.toString('utf8'));
      case FrameType.CONTINUE:
        if (this.detached) return;
        this.connection.sendContinue();
        return this.connection.resumeBody();
      case FrameType.WINDOW:
        this.window += payload.readUInt32BE(0);
        if (this.window > 0 && !this.detached) this.connection.resumeBody();
        return;
      default:
        log.warning(`python host sent frame 0x${type.toString(16)} on a request stream; ignored`);
    }
  }

  onHostGone(): void {
    this.hostDone = true;
    if (this.detached) return;
    log.error(`${WORKER_ERRORS.YW_HOST_GONE.code}: ${this.head.method} ${this.head.target}: ${WORKER_ERRORS.YW_HOST_GONE.message}`);
    this.detach();
    this.connection.fail(502, true, 'host-gone');
  }

  private onHead(payload: Buffer, complete: boolean): void {
    if (complete) this.endStream();
    if (this.detached) return;
    const writer = this.connection.writer;
    if (writer === undefined) return;
    const { head, body } = decodeResponsePayload(payload);
    const error = writer.head(head, body, complete);
    if (error !== undefined) return this.badHead(error, !complete);
    this.connection.appProgress();
    if (complete) return this.finish(writer.end());
    this.credit(body.length, this.connection.hasRoom);
  }

  private badHead(error: string, hostWaiting: boolean): void {
    log.error(`${WORKER_ERRORS.YW_APP_ERROR.code}: ${this.head.method} ${this.head.target}: ${error}`);
    if (hostWaiting) this.cancel();
    this.detach();
    this.connection.fail(500, true);
  }

  /**
   * The host offers to write a large body to the client itself: once what we
   * queued on the socket is out, hand it the socket and the HTTP head
   * (DIRECT_GO). It answers END, or ABORT if the write failed.
   */
  private onDirect(direct: DirectRequest): void {
    if (this.detached) return;
    const writer = this.connection.writer;
    if (writer === undefined) return;
    const head = writer.directHead(direct.head, direct.length);
    if (typeof head === 'string') return this.badHead(head, true);
    this.direct = true;
    this.connection.appProgress();
    this.directHead = { head, length: direct.length };
    // Until what we queued is out, the connection waits on the client
    // reading, bounded by the send timeout; past it the connection is dropped
    // and the host told (CANCEL, from onClientGone), freeing the app's thread.
    // Once DIRECT_GO is sent the host's stall limit bounds the wait.
    const socket = this.connection.directSocket;
    if (socket === undefined) return this.badHead('a direct write was not offered', true);
    // From here the host may hold a copy of the socket (until FORGET): our
    // close(2) alone would not send the FIN, so the connection ends with shutdown.
    this.connection.sharesSocket?.();
    handOverForDirect(socket, this.host, this.stream, head, {
      stillWanted: () => !this.detached && !this.hostDone,
      refused: (reason) => {
        log.warning(`cannot hand the client socket to the python host (${reason}); the response crosses the bridge`);
        this.host.send(encodeFrame(FrameType.DIRECT_REFUSED, this.stream));
        this.bridgeDirectBody();
      },
    });
  }

  /** The direct write will not happen: we write the head we framed, the body follows as DATA or FILE. */
  private bridgeDirectBody(): void {
    const framed = this.directHead;
    const writer = this.connection.writer;
    this.directHead = undefined;
    if (!this.direct || framed === undefined || this.detached || writer === undefined) return;
    this.direct = false;
    writer.undoDirect(framed.head, framed.length);
  }

  private onData(payload: Buffer): void {
    if (this.detached) return;
    const writer = this.connection.writer;
    if (writer === undefined) return;
    const room = writer.data(payload);
    this.connection.appProgress();
    this.credit(payload.length, room);
  }

  /** Owes the host `bytes` of response allowance: paid now if the socket has room, else after 'drain'. */
  private credit(bytes: number, socketHasRoom: boolean): void {
    if (bytes === 0 || this.hostDone) return;
    this.owedCredit += bytes;
    if (socketHasRoom) this.grantCredit();
  }

  private grantCredit(): void {
    if (this.owedCredit < CREDIT_BATCH || this.hostDone) return;
    this.host.send(encodeU32Frame(FrameType.CREDIT, this.stream, this.owedCredit));
    this.owedCredit = 0;
  }

  private onAbort(reason: string): void {
    if (this.detached) return;
    log.debug(`stream ${this.stream} aborted by the application: ${reason}`);
    this.detach();
    // Before any byte: a 500 (the traceback is in the host's log, never in the
    // response), or a 400 when the app failed because the client's body never
    // completed (RFC 9112 8: an incomplete message). After: close without a
    // clean end, so the client sees it.
    if (this.bodyFailed) this.connection.fail(400, true);
    else this.connection.fail(500, false);
  }

  /** wsgi.file_wrapper: Node reads the file itself and answers FILE_DONE. */
  private sendFile(payload: Buffer): void {
    const done = (ok: boolean): void => {
      this.file = undefined;
      if (!this.hostDone) this.host.send(encodeFrame(FrameType.FILE_DONE, this.stream, Buffer.from([ok ? 1 : 0])));
    };
    if (this.detached) return done(false);
    this.file = sendFile(decodeFilePayload(payload), {
      writer: () => (this.detached ? undefined : this.connection.writer),
      progress: () => this.connection.appProgress(),
      done,
    });
  }

  private endStream(): void {
    if (this.hostDone) return;
    this.hostDone = true;
    this.direct = false;
    this.host.closeStream(this.stream);
  }

  private cancel(): void {
    if (!this.hostDone) this.host.send(encodeFrame(FrameType.CANCEL, this.stream));
  }

  private detach(): void {
    this.detached = true;
    this.file?.destroy();
  }

  private finish(clean: boolean): void {
    if (this.detached) return;
    this.detached = true;
    this.connection.finish(clean);
  }

  /** The host pid and stream, for logs. */
  describe(): string {
    return `host ${this.host.info.pid} stream ${this.stream}`;
  }
}
