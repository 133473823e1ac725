// The supervisor (primary process): starts P workers, prints the banner once
// all listen, replaces workers that die (with backoff), stops for good when
// the app cannot load or the port cannot be bound, drains on SIGTERM/SIGINT
// and rolls the workers over on SIGHUP.
import cluster, { type Worker as ClusterWorker } from 'node:cluster';
import * as net from 'node:net';
import * as path from 'node:path';
import { log } from '../log/logger';
import { WORKER_ERRORS } from '../errors';
import { EXIT, type FromWorker, type ToWorker, type WorkerConfig } from '../ipc/contract';
import { STARTUP_ERRORS } from '../errors';
import { AdminServer } from './admin-server';
import { MetricsBook } from './metrics';
import { SnapshotRequests, type SnapshotTarget } from './snapshots';

const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
const HEALTHY_AFTER_MS = 60_000;

export interface Banner {
  readonly version: string;
  readonly appSpec: string;
  /** Called once, when the server first listens (just before the banner). */
  readonly onListening?: () => void;
}

interface Child {
  readonly worker: ClusterWorker;
  readonly startedAt: number;
  ready: boolean;
  retiring: boolean;
  /** Connections dealt to this worker and not yet closed. */
  open: number;
}

export class Supervisor {
  private readonly children = new Set<Child>();
  private backoffMs = FIRST_BACKOFF_MS;
  private draining = false;
  private announced = false;
  private forceTimer: NodeJS.Timeout | undefined;
  /** With several workers, the supervisor accepts and deals out connections. */
  private listener: net.Server | undefined;
  /** --metrics-bind: /metrics and /status (src/supervisor/admin-server.ts). */
  private admin: AdminServer | undefined;
  private readonly book = new MetricsBook();
  private readonly snapshots = new SnapshotRequests();

  constructor(
    private config: WorkerConfig,
    private readonly banner: Banner,
    private readonly metricsBind: { readonly host: string; readonly port: number } | null = null,
  ) {}

  start(): void {
    if (this.metricsBind === null) return this.startWorkers();
    // Bound before any worker starts: a taken address stops start-up (exit 4).
    const { host, port } = this.metricsBind;
    const admin = new AdminServer({ collect: (stack) => this.snapshots.ask(this.targets(), stack), book: this.book, slowRequestMs: this.config.slowRequestMs });
    admin.listen(host, port).then(
      (address) => {
        this.admin = admin;
        const shown = host.includes(':') ? `[${host}]` : host;
        log.notice(`admin endpoint listening: metrics at http://${shown}:${address.port}/metrics, status page at http://${shown}:${address.port}/status`);
        this.startWorkers();
      },
      (err: NodeJS.ErrnoException) => {
        log.fatal(`${STARTUP_ERRORS.YW_METRICS_BIND.code}: cannot listen on ${host}:${port} (--metrics-bind): ${err.code ?? err.message}`);
        this.exit(EXIT.bind);
      },
    );
  }

  /** Workers that can answer a snapshot request. */
  private targets(): SnapshotTarget[] {
    return [...this.children]
      .filter((c) => c.ready && c.worker.isConnected())
      .map((c) => ({ pid: c.worker.process.pid ?? 0, send: (m: ToWorker) => this.send(c, m) }));
  }

  private startWorkers(): void {
    // A single worker accepts on the socket itself (SCHED_NONE: no hand-off).
    // Several workers get their connections from us (see deal()).
    cluster.schedulingPolicy = cluster.SCHED_NONE;
    // A small V8 young generation keeps a worker's RSS down (about 25 MB less
    // under load, bench/README.md) at no measured cost for small responses.
    cluster.setupPrimary({
      exec: path.join(__dirname, '..', 'worker', 'main.js'),
      args: [],
      execArgv: [...process.execArgv, '--max-semi-space-size=1'],
      silent: false,
    });
    for (let i = 0; i < this.config.processes; i++) this.fork();
    process.on('SIGTERM', () => this.drain('SIGTERM'));
    process.on('SIGINT', () => this.drain('SIGINT'));
    process.on('SIGHUP', () => this.rollingRestart());
  }

  private fork(): Child {
    const worker = cluster.fork();
    const child: Child = { worker, startedAt: Date.now(), ready: false, retiring: false, open: 0 };
    this.children.add(child);
    worker.on('online', () => worker.send({ type: 'config', config: this.config } satisfies ToWorker));
    worker.on('message', (message: FromWorker) => this.onMessage(child, message));
    worker.on('exit', (code, signal) => this.onExit(child, code, signal));
    return child;
  }

  private onMessage(child: Child, message: FromWorker): void {
    if (message.type === 'ready') {
      child.ready = true;
      // With port 0 the kernel picked a port: replacements must bind the same one.
      if (this.config.port === 0 && message.port !== 0) this.config = { ...this.config, port: message.port };
      if (!this.announced && [...this.children].every((c) => c.ready)) {
        this.announced = true;
        if (this.config.listen) this.printBanner(message);
        else this.listen(message);
      }
    } else if (message.type === 'closed') {
      child.open = Math.max(0, child.open - 1);
    } else if (message.type === 'stats') {
      this.snapshots.answer(message.id, message.snapshot);
    } else if (message.type === 'fatal') {
      log.fatal(`${message.code}: ${message.message}`);
    } else if (message.type === 'host-failed') {
      log.error(`${WORKER_ERRORS.YW_HOST_START.code}: worker ${child.worker.id}: python host start attempt ${message.attempt} failed: ${message.reason}`);
    }
  }

  /** Binds only once every host has loaded the app: a broken app never takes the port. */
  private listen(ready: Extract<FromWorker, { type: 'ready' }>): void {
    const listener = net.createServer({ pauseOnConnect: true, noDelay: true }, (socket) => this.deal(socket));
    this.listener = listener;
    listener.on('error', (err: NodeJS.ErrnoException) => {
      log.fatal(`YW_BIND: cannot listen on ${this.config.bindHost}:${this.config.port}: ${err.code ?? err.message}`);
      this.stopAll();
      this.exit(EXIT.bind);
    });
    listener.listen({ host: this.config.bindHost, port: this.config.port, backlog: this.config.backlog }, () => {
      const port = (listener.address() as net.AddressInfo).port;
      this.printBanner({ ...ready, port });
    });
  }

  /**
   * Hands a new connection to the worker with the fewest open connections.
   * The kernel alone (SCHED_NONE) gives most connections to whichever worker
   * wakes first, and Node's round-robin to whichever answered last: either way
   * one host queues requests while another idles.
   */
  private deal(socket: net.Socket): void {
    let best: Child | undefined;
    for (const child of this.children) {
      if (!child.ready || child.retiring || !child.worker.isConnected()) continue;
      if (best === undefined || child.open < best.open) best = child;
    }
    if (best === undefined) return void socket.destroy();
    best.open++;
    best.worker.send({ type: 'connection' } satisfies ToWorker, socket);
  }

  private printBanner(ready: Extract<FromWorker, { type: 'ready' }>): void {
    // First, so that whoever waits for the banner finds the pid file written.
    this.banner.onListening?.();
    const c = this.config;
    const scheme = c.tls === null ? 'http' : 'https';
    const host = c.bindHost.includes(':') ? `[${c.bindHost}]` : c.bindHost;
    process.stdout.write(
      `yimmo-wsgi ${this.banner.version} | Node ${process.version} (${process.execPath}) | Python ${ready.python} (${ready.executable})\n` +
        `Serving ${this.banner.appSpec} on ${scheme}://${host}:${ready.port} | ${c.processes} process${c.processes > 1 ? 'es' : ''} x ${c.threads} thread${c.threads > 1 ? 's' : ''} | pid ${process.pid}\n`,
    );
  }

  private onExit(child: Child, code: number | null, signal: string | null): void {
    this.children.delete(child);
    this.book.workerGone(child.worker.process.pid ?? 0);
    if (this.draining || child.retiring) {
      if (this.draining && this.children.size === 0) this.exit(EXIT.ok);
      return;
    }
    const fatal = code === EXIT.appLoad || code === EXIT.bind || code === EXIT.python || code === EXIT.config ? code : undefined;
    if (fatal !== undefined) {
      // Restarting cannot help a broken app or a taken port: stop instead of looping.
      this.stopAll();
      return this.exit(fatal);
    }
    log.error(`worker ${child.worker.process.pid} died (${signal ?? `status ${code}`}); starting another`);
    this.book.workerRestarted('crash');
    if (Date.now() - child.startedAt > HEALTHY_AFTER_MS) this.backoffMs = FIRST_BACKOFF_MS;
    const delay = this.announced ? this.backoffMs : 0;
    this.backoffMs = Math.min(this.backoffMs * 2, MAX_BACKOFF_MS);
    setTimeout(() => {
      if (!this.draining) this.fork();
    }, delay);
  }

  /** SIGTERM/SIGINT: finish requests in flight, then exit 0. A second signal forces. */
  private drain(signal: string): void {
    if (this.draining) {
      log.notice(`${signal} again: stopping now`);
      this.stopAll();
      return this.exit(EXIT.ok);
    }
    this.draining = true;
    this.listener?.close();
    log.notice(`${signal}: finishing requests in flight (up to ${this.config.gracefulTimeoutMs / 1000}s)`);
    for (const child of this.children) this.send(child, { type: 'shutdown' });
    if (this.children.size === 0) return this.exit(EXIT.ok);
    this.forceTimer = setTimeout(() => {
      log.warning('graceful timeout reached: stopping the remaining workers');
      this.stopAll();
      this.exit(EXIT.ok);
    }, this.config.gracefulTimeoutMs);
  }

  /** SIGHUP: replace the workers one at a time, each only after its successor listens. */
  private async rollingRestart(): Promise<void> {
    if (this.draining) return;
    log.notice('SIGHUP: restarting workers one by one');
    for (const old of [...this.children]) {
      if (this.draining) return;
      const fresh = this.fork();
      const ok = await new Promise<boolean>((resolve) => {
        fresh.worker.on('message', (m: FromWorker) => m.type === 'ready' && resolve(true));
        fresh.worker.on('exit', () => resolve(false));
      });
      if (!ok) return log.error('SIGHUP: a new worker failed to start; keeping the old ones');
      old.retiring = true;
      this.book.workerRestarted('reload');
      this.send(old, { type: 'shutdown' });
    }
  }

  private send(child: Child, message: ToWorker): void {
    if (child.worker.isConnected()) child.worker.send(message);
  }

  private stopAll(): void {
    for (const child of this.children) child.worker.process.kill('SIGKILL');
  }

  private exit(code: number): void {
    if (this.forceTimer !== undefined) clearTimeout(this.forceTimer);
    this.admin?.close();
    setTimeout(() => process.exit(code), 20);
  }
}
