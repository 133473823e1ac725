// Keeps one live Python host per worker: starts it, replaces it when it dies
// (with backoff, so a host that crashes at once does not spin), recycles it
// when a request is stuck, and swaps it for a new one (a reload, or a
// recycle by --max-requests / --max-rss / --max-host-age): the new host is
// started while the old one keeps serving, takes the new requests once it
// has loaded the app, and the old one ends once its requests are done, so a
// swap closes no connection and fails no request. If the new host cannot
// start, the old one keeps serving.
// Every start is bounded (HostOptions.startTimeoutMs); each failed start of a
// replacement is logged and reported (startFailed), then retried.
import type { Host, HostStartError } from '../bridge/host';
import { startHost, type HostOptions } from '../bridge/host-start';
import { FrameType, encodeFrame } from '../bridge/protocol';
import { log } from '../log/logger';
import type { HostRestartReason } from '../ipc/snapshot';
import { drawBudget, recycleDue, recycles, type HostBudget, type RecycleLimits } from './recycle-policy';
import { residentBytes } from '../proc-rss';

const FIRST_BACKOFF_MS = 100;
const MAX_BACKOFF_MS = 10_000;
const HEALTHY_AFTER_MS = 30_000; // a host that lived this long resets the backoff
const KILL_AFTER_CLOSE_MS = 5_000;
/** How often the host's resident memory is read for --max-rss. */
const RSS_EVERY_MS = 5_000;

export interface KeeperEvents {
  /** A new host became the current one. */
  ready(host: Host): void;
  /** A replacement host (after a crash, a stuck request or for a recycle) could not start; it will be retried. */
  startFailed(reason: string, attempt: number): void;
  /** A host was replaced (for the metrics). */
  replaced(reason: HostRestartReason): void;
  /** A reload ended: the new host serves (error undefined), or it could not start and the old one serves. */
  reloaded(round: number, error: string | undefined, host: Host | undefined): void;
}

interface Setup {
  readonly options: HostOptions;
  readonly limits: RecycleLimits;
  /** The reload that asked for it (echoed in events.reloaded). */
  readonly round?: number;
}

export class HostKeeper {
  current: Host | undefined;
  private backoffMs = FIRST_BACKOFF_MS;
  /** Failed starts since the current host (or the last one) started. */
  private failedStarts = 0;
  private startedAt = 0;
  private stopping = false;
  private readonly retiring = new Set<Host>();
  /** What the next host starts with: changed only by a reload whose host started. */
  private setup: Setup;
  /** The current host's recycling budget and what it has used. */
  private budget: HostBudget;
  private served = 0;
  private rssBytes: number | undefined;
  private rssAt = 0;
  /** A swap in progress: no second one starts beside it. */
  private swapping = false;
  /** A reload asked for while a swap or a replacement was starting (whose code may predate it). */
  private pendingReload: Setup | undefined;
  /** A failed recycle is tried again from then on (backoff). */
  private recycleAfter = 0;

  constructor(
    options: HostOptions,
    limits: RecycleLimits,
    private readonly retireGraceMs: number,
    private readonly events: KeeperEvents,
  ) {
    this.setup = { options, limits };
    this.budget = drawBudget(limits);
  }

  /** Starts the first host; rejects with HostStartError if it cannot load the app. */
  async start(): Promise<Host> {
    const host = await startHost(this.setup.options);
    this.adopt(host);
    this.reloadIfPending();
    return host;
  }

  private adopt(host: Host): void {
    if (this.failedStarts > 0) log.notice(`python host ${host.info.pid} started after ${this.failedStarts} failed attempt(s)`);
    this.failedStarts = 0;
    this.current = host;
    this.startedAt = Date.now();
    this.budget = drawBudget(this.setup.limits);
    this.served = 0;
    this.rssBytes = undefined;
    // The first sample comes 1 to 2 periods in (a fresh host is still
    // loading), at a phase of its own: workers started together do not all
    // sample, and so recycle, at the same moment.
    this.rssAt = this.startedAt + Math.random() * RSS_EVERY_MS;
    host.onExit((code, signal) => {
      this.retiring.delete(host);
      if (this.current !== host) return;
      this.current = undefined;
      if (this.stopping) return;
      log.error(`python host ${host.info.pid} died (${signal ?? `status ${code}`}); starting another`);
      this.events.replaced('crash');
      if (Date.now() - this.startedAt > HEALTHY_AFTER_MS) this.backoffMs = FIRST_BACKOFF_MS;
      this.restartLater();
    });
    log.debug(`python host ${host.info.pid} ready (${host.info.executable}, Python ${host.info.python})`);
    this.events.ready(host);
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
    startHost(this.setup.options).then(
      (host) => {
        if (this.stopping) return host.kill();
        // A swap's host got there first: this one is not needed.
        if (this.current !== undefined) return this.close(host);
        this.adopt(host);
        this.reloadIfPending();
      },
      (err: HostStartError) => {
        if (this.stopping || this.current !== undefined) return;
        this.failedStarts += 1;
        log.error(`cannot start a replacement python host (attempt ${this.failedStarts}, next in ${this.backoffMs / 1000} s): ${err.message}`);
        this.events.startFailed(err.message, this.failedStarts);
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
    this.events.replaced('timeout');
    this.retire(host);
    this.startReplacement();
  }

  /**
   * Reload: a new host with `options` (new code, or new host settings) takes
   * over from the current one. Reported through events.reloaded.
   */
  reload(round: number, options: HostOptions, limits: RecycleLimits): void {
    if (this.stopping) return;
    const setup = { options, limits, round };
    if (this.swapping || this.current === undefined) {
      // No host to keep serving: the next replacement attempt starts with it
      // (an old app that no longer starts must not block a fixed one).
      if (!this.swapping) this.setup = { options, limits };
      // The host being started may have read the code before it changed.
      this.pendingReload = setup;
      return;
    }
    this.swap('reload', setup);
  }

  /** A request was given to `host` (for --max-requests). */
  requestStarted(host: Host): void {
    if (host !== this.current) return;
    this.served++;
    if (this.served >= this.budget.requests) this.checkRecycle(Date.now());
  }

  /** From the worker's periodic sweep: the host's age and memory. */
  sweep(now: number): void {
    const host = this.current;
    if (host === undefined || this.stopping || !recycles(this.setup.limits)) return;
    if (this.setup.limits.maxRssBytes > 0 && now - this.rssAt >= RSS_EVERY_MS) {
      this.rssAt = now;
      this.rssBytes = residentBytes(host.info.pid);
    }
    this.checkRecycle(now);
  }

  private checkRecycle(now: number): void {
    const host = this.current;
    if (host === undefined || this.swapping || this.stopping || now < this.recycleAfter) return;
    const why = recycleDue(this.budget, { requests: this.served, ageMs: now - this.startedAt, rssBytes: this.rssBytes });
    if (why === undefined) return;
    log.info(`python host ${host.info.pid}: recycling it after ${why}`);
    this.swap('recycle', this.setup);
  }

  /**
   * Starts a host with `setup` while the current one serves; once it has
   * loaded the app it becomes the current host and the old one retires.
   * The start is bounded by the host start timeout; if it fails the current
   * host keeps serving (a recycle is retried after the backoff).
   */
  private swap(reason: 'reload' | 'recycle', setup: Setup): void {
    this.swapping = true;
    startHost(setup.options).then(
      (host) => {
        this.swapping = false;
        if (this.stopping) return host.kill();
        const old = this.current;
        this.setup = { options: setup.options, limits: setup.limits };
        this.backoffMs = FIRST_BACKOFF_MS;
        this.recycleAfter = 0;
        this.adopt(host);
        if (old !== undefined) {
          this.events.replaced(reason);
          this.retire(old);
        }
        if (reason === 'reload') {
          log.info(`python host ${host.info.pid} took over${old === undefined ? '' : ` from ${old.info.pid}`} (reload)`);
          this.events.reloaded(setup.round ?? 0, undefined, host);
        } else {
          log.info(`python host ${host.info.pid} took over${old === undefined ? '' : ` from ${old.info.pid}`} (recycle)`);
        }
        this.reloadIfPending();
      },
      (err: HostStartError) => {
        this.swapping = false;
        if (this.stopping) return;
        const serving = this.current === undefined ? 'no host is serving; a replacement is on its way' : `python host ${this.current.info.pid} keeps serving`;
        if (reason === 'reload') {
          // The supervisor logs it, once for all the workers (YW_RELOAD_FAILED).
          log.debug(`reload: the new python host did not start; ${serving}: ${err.message}`);
          this.events.reloaded(setup.round ?? 0, err.message, undefined);
        } else {
          this.failedStarts += 1;
          this.recycleAfter = Date.now() + this.backoffMs;
          log.error(`recycle: the new python host did not start (attempt ${this.failedStarts}, next in ${this.backoffMs / 1000} s); ${serving}: ${err.message}`);
          this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
          this.events.startFailed(err.message, this.failedStarts);
        }
        this.reloadIfPending();
      },
    );
  }

  private reloadIfPending(): void {
    const pending = this.pendingReload;
    if (pending === undefined || this.swapping || this.current === undefined || this.stopping) return;
    this.pendingReload = undefined;
    this.swap('reload', pending);
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
