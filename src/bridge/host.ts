// One running Python host and the socket to it: frame routing by stream id,
// batched writes (the outbox), its exit, and the client sockets shared with
// it for direct writes (through handle-passing.ts). Starting one is
// host-start.ts. See docs/protocol.md.
import type { ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import { log } from '../log/logger';
import { Frame, FrameDecoder, FrameType, ProtocolError, encodeU32Frame } from './protocol';
import { SocketPasser, UnpassableSocket } from './handle-passing';

export interface HostInfo {
  readonly pid: number;
  readonly python: string;
  readonly executable: string;
  /** The socket hand-over probe succeeded at start-up: the host can take direct writes. */
  readonly direct: boolean;
  /** How long the host waits for the worker's answers (DIRECT_GO, a socket, CREDIT); 0 = no limit. */
  readonly workerTimeoutMs: number;
  /** With HostOptions.reportModules: the app's Python files loaded when the host started (for --reload). */
  readonly modules: readonly string[];
}

/** The receiving side of one stream (an exchange). */
export interface StreamHandler {
  onFrame(type: number, payload: Buffer): void;
  /** The host died before the stream ended. */
  onHostGone(): void;
}

/**
 * Why a host could not start: the app failed to load or did not finish
 * loading in time (`appLoad`: restarting the server cannot help), or Python
 * could not run.
 */
export class HostStartError extends Error {
  constructor(message: string, readonly appLoad: boolean) {
    super(message);
  }
}

export class Host {
  private readonly streams = new Map<number, StreamHandler>();
  // DATA payloads go on to the client in the pieces they arrive in (no join).
  private readonly decoder = new FrameDecoder(new Set([FrameType.DATA]));
  private nextStream = 1;
  private readonly passer: SocketPasser;
  private directStopped = false;
  private outbox: Buffer[] = [];
  private outboxBytes = 0;
  private alive = true;
  private exitListeners: Array<(code: number | null, signal: string | null) => void> = [];
  /** Frames on stream 0 after the handshake (STATUS_REPLY): read by src/bridge/host-status.ts. */
  onConnectionFrame: ((frame: Frame) => void) | undefined;

  /** For host-start.ts, once the handshake is done. */
  constructor(
    private readonly child: ChildProcess,
    private readonly socket: Socket,
    readonly info: HostInfo,
  ) {
    this.passer = new SocketPasser(child, (id) => this.send(encodeU32Frame(FrameType.FORGET, 0, id)));
    this.attach();
  }

  private attach(): void {
    // It may have died while the start-up finished (the probe): its 'exit' is gone.
    if (this.child.exitCode !== null || this.child.signalCode !== null || this.socket.destroyed) {
      this.alive = false;
      this.socket.destroy();
      return;
    }
    this.socket.on('data', (chunk: Buffer) => {
      try {
        this.decoder.push(chunk, this.route);
      } catch (err) {
        log.error(`python host ${this.info.pid} sent a bad frame (${(err as ProtocolError).message}); killing it`);
        this.kill();
      }
    });
    this.socket.on('error', () => this.kill());
    this.socket.on('close', () => this.kill());
    this.child.on('exit', (code, signal) => {
      this.alive = false;
      this.socket.destroy();
      const gone = [...this.streams.values()];
      this.streams.clear();
      for (const handler of gone) handler.onHostGone();
      for (const listener of this.exitListeners) listener(code, signal);
    });
  }

  private readonly route = (frame: Frame): void => {
    const handler = this.streams.get(frame.stream);
    if (handler !== undefined) handler.onFrame(frame.type, frame.payload);
    else if (frame.stream === 0) this.onConnectionFrame?.(frame);
  };

  get isAlive(): boolean {
    return this.alive;
  }

  get openStreams(): number {
    return this.streams.size;
  }

  onExit(listener: (code: number | null, signal: string | null) => void): void {
    this.exitListeners.push(listener);
  }

  /** Registers a handler and returns its stream id (never 0, never one still open). */
  openStream(handler: StreamHandler): number {
    let id = this.nextStream;
    while (this.streams.has(id)) id = id >= 0xffffffff ? 1 : id + 1;
    this.nextStream = id >= 0xffffffff ? 1 : id + 1;
    this.streams.set(id, handler);
    return id;
  }

  closeStream(id: number): void {
    this.streams.delete(id);
  }

  /**
   * Queues bytes for the host. Writes made in the same turn of the event loop
   * leave in one writev: many requests per syscall under load.
   */
  send(bytes: Buffer): void {
    if (!this.alive) return;
    if (this.outbox.length === 0) setImmediate(this.flush);
    this.outbox.push(bytes);
    this.outboxBytes += bytes.length;
  }

  private readonly flush = (): void => {
    const frames = this.outbox;
    const bytes = this.outboxBytes;
    this.outbox = [];
    this.outboxBytes = 0;
    if (!this.alive || frames.length === 0) return;
    // Small frames are joined into one buffer (one write, one stream entry);
    // a batch holding large bodies is written as it is, without a copy.
    // One frame (a lone request at a slow app's rate) is written as it is:
    // corking it would only add a round through the stream's buffer.
    if (frames.length === 1) this.socket.write(frames[0] as Buffer);
    else if (bytes > 256 * 1024) {
      this.socket.cork();
      for (const frame of frames) this.socket.write(frame);
      this.socket.uncork();
    } else {
      this.socket.write(Buffer.concat(frames, bytes));
    }
  };

  /**
   * Shares a client socket with the host for direct writes (docs/protocol.md
   * "Direct writes"): resolves with the ID the host knows it by, once sent;
   * rejects when it cannot be shared. Callers bound the wait.
   */
  handOver(socket: Socket): Promise<number> {
    if (!this.alive || !this.takesSockets) return Promise.reject(new Error('the host takes no sockets'));
    return this.passer.pass(socket).catch((error: Error) => {
      // Only a socket without a passable handle is this socket's problem;
      // anything else is the channel's, and would fail (or stall) again.
      if (!(error instanceof UnpassableSocket)) this.stopDirect(error.message);
      throw error;
    });
  }

  /** Whether requests may offer direct writes on this host (REQUEST flag d). */
  get takesSockets(): boolean {
    return this.info.direct && !this.directStopped;
  }

  /**
   * The hand-over failed in a way later ones would repeat (the channel
   * closed, sends fail, or the host stopped acknowledging handles): no more
   * direct writes on this host, so no later response waits for a hand-over.
   */
  stopDirect(reason: string): void {
    if (this.directStopped || !this.info.direct) return;
    this.directStopped = true;
    log.warning(`python host ${this.info.pid}: direct writes stopped (${reason}); responses cross the bridge`);
  }

  /** Closing our end tells the host to exit once it notices EOF. */
  close(): void {
    this.socket.end();
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
