// One Python host process and the socket to it: spawn, handshake, frame
// routing by stream id, and batched writes. See docs/protocol.md.
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import type { Socket } from 'node:net';
import { log, type LogLevel } from '../log/logger';
import { relayHostStderr } from '../log/host-stderr';
import { Frame, FrameDecoder, FrameType, PROTOCOL_VERSION, ProtocolError, encodeU32Frame } from './protocol';

/** Keep identical to BOOTSTRAP in python/yimmo_host/__init__.py. */
export const BOOTSTRAP = 'import sys; sys.path.append({dir}); from yimmo_host.main import main; main()';
const PYTHON_DIR = path.resolve(__dirname, '..', '..', '..', 'python');

export interface HostOptions {
  readonly python: string;
  readonly app: string;
  readonly threads: number;
  readonly multiprocess: boolean;
  readonly logLevel: LogLevel;
  readonly requestWindow: number;
  readonly responseWindow: number;
  /** How long a direct write waits for a client that accepts nothing; 0 = no limit. */
  readonly directTimeoutMs: number;
}

export interface HostInfo {
  readonly pid: number;
  readonly python: string;
  readonly executable: string;
  /** The host reads the socket handoff channel: it can take direct writes. */
  readonly direct: boolean;
}

/** The receiving side of one stream (an exchange). */
export interface StreamHandler {
  onFrame(type: number, payload: Buffer): void;
  /** The host died before the stream ended. */
  onHostGone(): void;
}

/** Whether Node can send this handle as a descriptor (a TCP or pipe handle; TLS wraps are not). */
function isPassable(handle: unknown): boolean {
  const name = (handle as { constructor?: { name?: string } } | undefined)?.constructor?.name;
  return name === 'TCP' || name === 'Pipe';
}

/** Why a host could not start: the app failed to load, or Python could not run. */
export class HostStartError extends Error {
  constructor(message: string, readonly appLoad: boolean) {
    super(message);
  }
}

export class Host {
  private readonly streams = new Map<number, StreamHandler>();
  private readonly decoder = new FrameDecoder();
  private nextStream = 1;
  /** Client sockets the host holds a copy of, by their handoff ID. */
  private readonly handedOver = new Map<Socket, number>();
  private nextHandoff = 1;
  private outbox: Buffer[] = [];
  private outboxBytes = 0;
  private alive = true;
  private exitListeners: Array<(code: number | null, signal: string | null) => void> = [];
  /** Frames on stream 0 after the handshake (STATUS_REPLY): read by src/bridge/host-status.ts. */
  onConnectionFrame: ((frame: Frame) => void) | undefined;

  private constructor(
    private readonly child: ChildProcess,
    private readonly socket: Socket,
    readonly info: HostInfo,
  ) {}

  /** Starts a host and resolves once its application is loaded (HELLO). */
  static start(options: HostOptions): Promise<Host> {
    const json = JSON.stringify({
      protocol: PROTOCOL_VERSION,
      app: options.app,
      threads: options.threads,
      multiprocess: options.multiprocess,
      log_level: options.logLevel,
      log_records: true, // its log lines come back through its stderr, which we read
      request_window: options.requestWindow,
      response_window: options.responseWindow,
      direct_timeout: options.directTimeoutMs / 1000,
    });
    const bootstrap = BOOTSTRAP.replace('{dir}', JSON.stringify(PYTHON_DIR));
    // fd 3: the bridge socket. fd 4: Node's IPC channel, used only to hand
    // client sockets over for direct writes (docs/protocol.md).
    // fd 2 is read by the worker: the host's records and the app's stderr go to the error log (src/log/host-stderr.ts).
    const child = spawn(options.python, ['-c', bootstrap, json], { stdio: ['ignore', 'inherit', 'pipe', 'pipe', 'ipc'] });
    relayHostStderr(child.stderr, child.pid);
    child.channel?.unref();
    child.on('message', () => {}); // the host sends only handle ACKs, which Node consumes itself
    const socket = child.stdio[3] as Socket;
    return new Promise((resolve, reject) => {
      const decoder = new FrameDecoder();
      let settled = false;
      const fail = (error: HostStartError): void => {
        if (settled) return;
        settled = true;
        socket.destroy();
        child.kill('SIGKILL');
        reject(error);
      };
      child.once('error', (err) => fail(new HostStartError(`cannot start python '${options.python}': ${err.message}`, false)));
      child.once('exit', (code, signal) =>
        fail(new HostStartError(`python host exited during startup (${signal ?? `status ${code}`})`, false)),
      );
      const onData = (chunk: Buffer): void => {
        try {
          decoder.push(chunk, (frame) => {
            if (settled) return;
            if (frame.type === FrameType.LOAD_ERROR) return fail(new HostStartError(frame.payload.toString('utf8'), true));
            if (frame.type !== FrameType.HELLO) return fail(new HostStartError(`unexpected frame 0x${frame.type.toString(16)} before HELLO`, false));
            const hello = JSON.parse(frame.payload.toString('utf8')) as Record<string, unknown>;
            if (hello['protocol'] !== PROTOCOL_VERSION) {
              return fail(new HostStartError(`python host speaks protocol ${String(hello['protocol'])}, expected ${PROTOCOL_VERSION}`, false));
            }
            settled = true;
            socket.off('data', onData);
            child.removeAllListeners('exit');
            child.removeAllListeners('error');
            const host = new Host(child, socket, {
              pid: Number(hello['pid']),
              python: String(hello['python']),
              executable: String(hello['executable']),
              direct: hello['direct'] === true,
            });
            resolve(host);
          });
        } catch (err) {
          fail(new HostStartError(`bad handshake from python host: ${(err as Error).message}`, false));
        }
      };
      socket.on('data', onData);
    }).then((host) => {
      (host as Host).attach();
      return host as Host;
    });
  }

  private attach(): void {
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
    if (frames.length === 1 || bytes > 256 * 1024) {
      this.socket.cork();
      for (const frame of frames) this.socket.write(frame);
      this.socket.uncork();
    } else {
      this.socket.write(Buffer.concat(frames, bytes));
    }
  };

  /**
   * Shares a plain-TCP client socket with the host for direct writes
   * (docs/protocol.md "Direct writes") and returns the ID the host knows it
   * by; undefined when it cannot be shared. A socket is sent once; when it
   * closes the host is told to FORGET it. The raw handle is sent, not the
   * net.Socket, so that Node treats the send as a plain descriptor copy and
   * the connection stays ours. `failed` hears of a send that fails later.
   */
  handOver(socket: Socket, failed: (error: Error) => void): number | undefined {
    const known = this.handedOver.get(socket);
    if (known !== undefined) return known;
    const handle = (socket as unknown as { _handle?: unknown })._handle;
    if (!this.alive || !this.info.direct || !this.child.connected || !isPassable(handle)) return undefined;
    const id = this.nextHandoff;
    this.nextHandoff = id >= 0xffffffff ? 1 : id + 1;
    this.handedOver.set(socket, id);
    socket.once('close', () => {
      this.handedOver.delete(socket);
      this.send(encodeU32Frame(FrameType.FORGET, 0, id));
    });
    this.child.send({ c: id }, handle as Socket, {}, (error) => {
      if (error !== null) failed(error);
    });
    return id;
  }

  /** Closing our end tells the host to exit once it notices EOF. */
  close(): void {
    this.socket.end();
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}
