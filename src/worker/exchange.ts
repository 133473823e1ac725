// One request/response pair carried over one host stream: the only place
// where the HTTP side (Connection, ResponseWriter) meets the bridge (Host).
import * as fs from 'node:fs';
import type { Connection, Exchange } from '../http/connection';
import type { RequestHead } from '../http/request-head';
import type { Host, StreamHandler } from '../bridge/host';
import {
  FrameType, decodeDirectPayload, decodeFilePayload, decodeResponsePayload, encodeDirectGoFrame, encodeFrame, encodeTextFrame, encodeU32Frame,
  frameHeader,
  type DirectRequest,
} from '../bridge/protocol';
import { log } from '../log/logger';
import { WORKER_ERRORS } from '../errors';
import { requestPayload, type ConnectionFacts } from './environ';

const FILE_CHUNK = 256 * 1024;
const EMPTY = Buffer.alloc(0);
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
  private file: fs.ReadStream | undefined;
  /** The request body failed (client gone, malformed, too slow): an app error after it is the client's doing. */
  private bodyFailed = false;
  /** The host writes the response body to the client socket itself (DIRECT_GO sent, no END yet). */
  private hostWriting = false;

  constructor(
    private readonly connection: Connection,
    readonly host: Host,
    private readonly head: RequestHead,
    facts: ConnectionFacts,
    options: ExchangeOptions,
    private readonly onTimeoutRecycle: (host: Host, stream: number) => void,
  ) {
    this.window = options.requestWindow;
    this.stream = host.openStream(this);
    const direct = facts.scheme === 'http' && host.info.direct;
    host.send(encodeTextFrame(FrameType.REQUEST, this.stream, requestPayload(head, facts, direct)));
  }

  // ---- from the connection -------------------------------------------------

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
    if (this.file?.isPaused()) this.file.resume();
  }

  onTimeout(): void {
    // During a direct write the host enforces the stall limit itself.
    if (this.hostWriting) return this.connection.waitForApp();
    const writer = this.connection.writer;
    if (writer !== undefined && writer.started && this.connection.socket.writableNeedDrain) {
      // Waiting on the client, not the application: drop this connection only.
      log.info(`${this.head.method} ${this.head.target}: client stopped reading; closing`);
      this.detach();
      return this.connection.abort();
    }
    log.error(`${WORKER_ERRORS.YW_REQUEST_TIMEOUT.code}: ${this.head.method} ${this.head.target}: ${WORKER_ERRORS.YW_REQUEST_TIMEOUT.message}`);
    if (!this.hostDone) this.onTimeoutRecycle(this.host, this.stream);
    this.detach();
    if (writer === undefined || !writer.started) this.connection.fail(504, true);
    else this.connection.abort();
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
        this.endStream();
        return this.finish(this.connection.writer?.end() ?? false);
      case FrameType.FILE:
        return this.sendFile(payload);
      case FrameType.DIRECT:
        return this.onDirect(decodeDirectPayload(payload));
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
    this.connection.fail(502, true);
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
    this.credit(body.length, !this.connection.socket.writableNeedDrain);
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
    this.connection.appProgress();
    this.hostWriting = true;
    const socket = this.connection.socket;
    const go = (): void => {
      if (this.detached || this.hostDone) return;
      const failed = (error: Error): void => {
        if (this.detached) return;
        log.error(`cannot hand the client socket to the python host: ${error.message}`);
        this.cancel();
        this.detach();
        this.connection.abort();
      };
      const id = this.host.handOver(socket, failed);
      if (id === undefined) return failed(new Error('not a plain TCP socket'));
      this.host.send(encodeDirectGoFrame(this.stream, id, head));
      this.hostWrote = head.length + direct.length;
    };
    // The host's bytes must follow everything we wrote before (an earlier
    // pipelined response still queued): a write callback fires in order.
    if (socket.writableLength === 0) go();
    else socket.write(EMPTY, go);
  }

  private onData(payload: Buffer): void {
    if (this.detached) return;
    const writer = this.connection.writer;
    if (writer === undefined) return;
    this.connection.appProgress();
    this.credit(payload.length, writer.data(payload));
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
    const request = decodeFilePayload(payload);
    const done = (ok: boolean): void => {
      this.file = undefined;
      if (!this.hostDone) this.host.send(encodeFrame(FrameType.FILE_DONE, this.stream, Buffer.from([ok ? 1 : 0])));
    };
    if (this.detached) return done(false);
    const options: { start: number; end?: number; highWaterMark: number } = { start: request.offset, highWaterMark: FILE_CHUNK };
    if (request.count !== undefined) {
      if (request.count === 0) return done(true);
      options.end = request.offset + request.count - 1;
    }
    const file = fs.createReadStream(request.path, options);
    this.file = file;
    file.on('data', (chunk) => {
      const writer = this.connection.writer;
      if (this.detached || writer === undefined) return void file.destroy();
      this.connection.appProgress();
      if (!writer.data(chunk as Buffer)) file.pause();
    });
    file.on('end', () => done(true));
    file.on('error', (err) => {
      log.error(`cannot send file ${request.path}: ${err.message}`);
      done(false);
    });
    file.on('close', () => {
      if (this.file === file) done(false);
    });
  }

  private endStream(): void {
    if (this.hostDone) return;
    this.hostDone = true;
    this.hostWriting = false;
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
