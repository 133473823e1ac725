// Keeps one live Python host per worker: starts it, replaces it when it dies
// (with backoff, so a host that crashes at once does not spin), and recycles
// it when a request is stuck, without dropping the other requests on it.
// Every start is bounded (HostOptions.startTimeoutMs); each failed start of a
// replacement is logged and reported (onStartFailed), then retried.
import type { Host, HostStartError } from '../bridge/host';
import { startHost, type HostOptions } from '../bridge/host-start';
import { FrameType, encodeFrame } from '../bridge/protocol';
import { log } from '../log/logger';
import type { HostRestartReason } from '../ipc/snapshot';

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;
const HEALTHY_AFTER_MS = 30_000; // a host that lived this long resets the backoff
const KILL_AFTER_CLOSE_MS = 5_000;

export class HostKeeper {
  current: Host | undefined;
  private backoffMs = FIRST_BACKOFF_MS;
  /** Failed starts since the current host (or the last one) started. */
  private failedStarts = 0;
  private startedAt = 0;
  private stopping = false;
  private readonly retiring = new Set<Host>();

  constructor(
    private readonly options: HostOptions,
    private readonly retireGraceMs: number,
    /** Called whenever a new host becomes the current one. */
    private readonly onReady: (host: Host) => void = () => undefined,
    /** Called after each failed start of a replacement host (it will be retried). */
    private readonly onStartFailed: (reason: string, attempt: number) => void = () => undefined,
    /** Called when a host is replaced: it died, or a request on it timed out. */
    private readonly onReplaced: (reason: HostRestartReason) => void = () => undefined,
  ) {}

  /** Starts the first host; rejects with HostStartError if it cannot load the app. */
  async start(): Promise<Host> {
    const host = await startHost(this.options);
    this.adopt(host);
    return host;
  }

  private adopt(host: Host): void {
    if (this.failedStarts > 0) log.notice(`python host ${host.info.pid} started after ${this.failedStarts} failed attempt(s)`);
    this.failedStarts = 0;
    this.current = host;
    this.startedAt = Date.now();
    host.onExit((code, signal) => {
      this.retiring.delete(host);
      if (this.current !== host) return;
      this.current = undefined;
      if (this.stopping) return;
      log.error(`python host ${host.info.pid} died (${signal ?? `status ${code}`}); starting another`);
      this.onReplaced('crash');
      if (Date.now() - this.startedAt > HEALTHY_AFTER_MS) this.backoffMs = FIRST_BACKOFF_MS;
      this.restartLater();
    });
    log.debug(`python host ${host.info.pid} ready (${host.info.executable}, Python ${host.info.python})`);
    this.onReady(host);
  }

  private restartLater(): void {
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    setTimeout(() => {
      if (this.stopping || this.current !== undefined) return;
      this.startReplacement();
    }, delay);
  }

  private startReplacement(): void {
    startHost(this.options).then(
      (host) => (this.stopping ? host.kill() : this.adopt(host)),
      (err: HostStartError) => {
        if (this.stopping) return;
        this.failedStarts += 1;
        log.error(`cannot start a replacement python host (attempt ${this.failedStarts}, next in ${this.backoffMs / 1000} s): ${err.message}`);
        this.onStartFailed(err.message, this.failedStarts);
        this.restartLater();
      },
    );
  }

  /**
   * A request on `host` is stuck: log its Python stack, move new requests to
   * a fresh host, and end the old one once its other requests are done.
   */
  recycle(host: Host, stream: number): void {
    // The stream stays open: the retiring host ends once the stuck request
    // (cancelled by the exchange) sends its last frame, its iterable closed,
    // or after the grace time.
    host.send(encodeFrame(FrameType.DUMP_STACK, stream));
    if (this.current !== host || this.stopping) return;
    this.current = undefined;
    this.onReplaced('timeout');
    this.retire(host);
    this.startReplacement();
  }

  private retire(host: Host): void {
    this.retiring.add(host);
    const deadline = Date.now() + this.retireGraceMs;
    const check = setInterval(() => {
      if (!host.isAlive) return clearInterval(check);
      if (host.openStreams === 0 || Date.now() > deadline) {
        clearInterval(check);
        this.close(host);
      }
    }, 100);
  }

  private close(host: Host): void {
    host.close();
    setTimeout(() => host.kill(), KILL_AFTER_CLOSE_MS).unref();
  }

  /** Ends every host: closes their sockets, kills any that do not exit. */
  stop(): Promise<void> {
    this.stopping = true;
    const hosts = [...this.retiring, ...(this.current ? [this.current] : [])].filter((h) => h.isAlive);
    return Promise.all(
      hosts.map(
        (host) =>
          new Promise<void>((resolve) => {
            host.onExit(() => resolve());
            this.close(host);
          }),
      ),
    ).then(() => undefined);
  }
}
