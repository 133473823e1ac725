// The supervisor (the process the user started), a reconciler like
// gunicorn's arbiter: after every event (a signal, a worker loaded, serving
// or exited, a backoff timer) it asks src/supervisor/plan.ts which workers to
// start and which to retire so that P workers of the current generation
// serve, and does it. Signals are queued and handled one at a time
// (src/supervisor/signals.ts). The listening sockets belong to the
// supervisor and outlive every worker (src/supervisor/listen-handle.ts).
import type * as net from 'node:net';
import * as path from 'node:path';
import { log, reopenLogFiles, setLogLevel } from '../log/logger';
import { STARTUP_ERRORS, WORKER_ERRORS } from '../errors';
import { EXIT, type FromWorker, type ToWorker, type WorkerConfig, type SupervisorSignal } from '../ipc/contract';
import { plan, type WorkerPhase, type WorkerView } from './plan';
import { BindError, SharedUnavailable, openSharedListeners, removeSocketFiles, type Bind, type SharedListener, type UnixSocketOptions } from './listen-handle';
import { showBind } from '../net/bind-spec';
import type { ListenerInfo } from '../ipc/contract';
import { Dealer, type DealTarget } from './dealer';
import { WorkerProcess } from './worker-process';
import type { SignalQueue } from './signals';
import { AdminServer } from './admin-server';
import { MetricsBook } from './metrics';
import { SnapshotRequests, type SnapshotTarget } from './snapshots';
import { reloadScope } from './reload-scope';
import { CodeWatcher } from './code-watcher';
import { SATURATION_BOUND_MS, relief, type AcceptView } from './saturation';

const FIRST_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;
/** A worker that served this long resets the restart backoff. */
const HEALTHY_AFTER_MS = 60_000;
const MAX_PROCESSES = 256; // as the processes setting (src/config/schema.ts)

export interface Banner {
  readonly version: string;
  readonly appSpec: string;
  /** Called once, when the server first listens (just before the banner). */
  readonly onListening?: () => void;
}

export interface SupervisorOptions {
  readonly config: WorkerConfig;
  readonly banner: Banner;
  /** SIGHUP: argv + env + the config file again. Throws an Error whose message is the one line to log. */
  readonly reload: () => WorkerConfig;
  /** Installed before the supervisor was made: signals that came early wait there. */
  readonly signals: SignalQueue;
  /** --metrics-bind: where /metrics and /status are served (src/supervisor/admin-server.ts); null: nowhere. */
  readonly metricsBind: { readonly host: string; readonly port: number } | null;
}

/**
 * A reload carried out by swapping the Python hosts under the running
 * workers: one worker first (a new app that does not import fails there
 * alone, and is logged once), then all the others at once.
 */
interface HostRound {
  readonly id: number;
  readonly config: WorkerConfig;
  /** What the generation goes back to if the first worker's new host cannot start. */
  readonly previous: WorkerConfig;
  readonly generation: number;
  /** Workers asked and not answered yet. */
  readonly waiting: Set<number>;
  /** Workers to ask once the first one has swapped; undefined once asked. */
  rest: number[] | undefined;
  swapped: number;
  failed: boolean;
}

interface Child {
  readonly id: number;
  readonly generation: number;
  readonly proc: WorkerProcess;
  phase: WorkerPhase;
  loaded: Extract<FromWorker, { type: 'loaded' }> | undefined;
  servingSince: number | undefined;
  /** Connections dealt to this worker and not yet closed (fallback mode only). */
  open: number;
  /**
   * Our copies of sockets dealt to this worker that it has not confirmed yet:
   * if it dies first they are dealt again instead of being lost.
   */
  readonly unconfirmed: { readonly socket: net.Socket; readonly bind: number }[];
  lastFatal: string | undefined;
  killTimer: NodeJS.Timeout | undefined;
  /** Stopped accepting because saturated (shared handles with P > 1): its last word was `paused`; busy connections then, and when. */
  paused: boolean;
  busy: number;
  pausedAt: number;
}

export class Supervisor {
  private readonly children = new Map<number, Child>();
  private nextId = 1;
  private generation = 0;
  private readonly configs = new Map<number, WorkerConfig>();
  private processes: number;
  /** What a failed reload goes back to. */
  private beforeReload: { generation: number; processes: number } | undefined;
  private stopping = false;
  private exiting = false;
  private announced = false;
  private fatalLogged = false;
  /** Set once the addresses are bound: shared handles, or the fallback dealer. */
  private listeners: SharedListener[] | undefined;
  private dealer: Dealer | undefined;
  private binding = false;
  /** Per bind, once bound: the port (the kernel's choice for port 0; 0 for Unix) and what workers need to know. */
  private bound: { readonly port: number; readonly address: string; readonly info: ListenerInfo }[] = [];
  private failures = 0;
  private nextSpawnAt = 0;
  private spawnTimer: NodeJS.Timeout | undefined;
  private forceTimer: NodeJS.Timeout | undefined;
  private readonly script = path.join(__dirname, '..', 'worker', 'main.js');
  /** --metrics-bind: /metrics and /status. */
  private admin: AdminServer | undefined;
  private readonly book = new MetricsBook();
  private readonly snapshots = new SnapshotRequests();
  private hostRounds = 0;
  private hostRound: HostRound | undefined;
  /** --reload: the app's files, polled. */
  private watcher: CodeWatcher | undefined;
  /** Armed while every serving worker is paused: then one is resumed anyway (src/supervisor/saturation.ts). */
  private saturationTimer: NodeJS.Timeout | undefined;
  /**
   * A forced resume's worker took its whole quota, so connections may still
   * wait: the next time every worker is paused, one is resumed at once (no
   * bound). Cleared by the next forced resume.
   */
  private backlogLeft = false;

  constructor(private readonly options: SupervisorOptions) {
    this.configs.set(0, options.config);
    this.processes = options.config.processes;
  }

  private get config(): WorkerConfig {
    return this.configs.get(this.generation) as WorkerConfig;
  }

  start(): void {
    this.options.signals.deliverTo((signal) => this.onSignal(signal));
    const bind = this.options.metricsBind;
    if (bind === null) return this.startWorkers();
    // Bound before any worker starts: a taken address stops start-up (exit 4).
    const admin = new AdminServer({ collect: (stack) => this.snapshots.ask(this.targets(), stack), book: this.book, slowRequestMs: this.config.slowRequestMs });
    admin.listen(bind.host, bind.port).then(
      (address) => {
        this.admin = admin;
        const shown = bind.host.includes(':') ? `[${bind.host}]` : bind.host;
        log.notice(`admin endpoint listening: metrics at http://${shown}:${address.port}/metrics, status page at http://${shown}:${address.port}/status`);
        this.startWorkers();
      },
      (err: NodeJS.ErrnoException) => {
        log.fatal(`${STARTUP_ERRORS.YW_METRICS_BIND.code}: cannot listen on ${bind.host}:${bind.port} (--metrics-bind): ${err.code ?? err.message}`);
        this.exit(EXIT.bind);
      },
    );
  }

  private startWorkers(): void {
    if (this.stopping) return this.reconcile(); // stopped while the admin endpoint was being bound
    this.updateWatcher(this.config);
    this.reconcile();
  }

  /** Workers that can answer a snapshot request (metrics, status page). */
  private targets(): SnapshotTarget[] {
    return [...this.children.values()]
      .filter((c) => c.phase !== 'starting')
      .map((c) => ({ pid: c.proc.pid, send: (m: ToWorker) => c.proc.send(m) }));
  }

  // --- the loop -----------------------------------------------------------

  private reconcile(): void {
    if (this.exiting) return;
    const now = Date.now();
    const canSpawn = now >= this.nextSpawnAt;
    const views: WorkerView[] = [...this.children.values()].map((c) => ({ id: c.id, generation: c.generation, phase: c.phase, seq: c.id }));
    for (const action of plan({ processes: this.processes, generation: this.generation, stopping: this.stopping, canSpawn }, views)) {
      if (action.kind === 'spawn') this.spawn();
      else {
        const child = this.children.get(action.id);
        if (child !== undefined) this.retire(child);
      }
    }
    if (!canSpawn && this.spawnTimer === undefined) {
      this.spawnTimer = setTimeout(() => {
        this.spawnTimer = undefined;
        this.reconcile();
      }, this.nextSpawnAt - now);
    }
    if (this.stopping && this.children.size === 0) this.exit(EXIT.ok);
    if (this.converged()) {
      // The reload is complete: nothing to go back to, older configurations unused.
      if (this.beforeReload !== undefined) this.book.reloaded('ok');
      this.beforeReload = undefined;
      for (const g of [...this.configs.keys()]) if (g !== this.generation) this.configs.delete(g);
    }
  }

  private converged(): boolean {
    if (this.stopping || this.children.size !== this.processes) return false;
    for (const c of this.children.values()) if (c.generation !== this.generation || c.phase !== 'serving') return false;
    return true;
  }

  private spawn(): void {
    const id = this.nextId++;
    const generation = this.generation;
    const child: Child = {
      id,
      generation,
      phase: 'starting',
      loaded: undefined,
      servingSince: undefined,
      open: 0,
      unconfirmed: [],
      lastFatal: undefined,
      killTimer: undefined,
      paused: false,
      busy: 0,
      pausedAt: 0,
      proc: new WorkerProcess(this.script, {
        message: (m) => this.onMessage(child, m),
        exit: (code, signal) => this.onExit(child, code, signal),
      }),
    };
    this.children.set(id, child);
    child.proc.send({ type: 'config', config: this.configs.get(generation) as WorkerConfig, worker: id });
  }

  /** Graceful: the worker finishes what it accepted; killed after the graceful timeout. */
  private retire(child: Child): void {
    child.phase = 'retiring';
    this.watchSaturation(); // it may have been the one still accepting
    const delivered = child.proc.send({ type: 'shutdown', mode: this.stopping ? 'stop' : 'retire' });
    // A worker whose channel is gone still drains on SIGTERM.
    if (!delivered) child.proc.kill('SIGTERM');
    child.killTimer = setTimeout(() => {
      log.warning(`worker ${child.proc.pid} still busy after the graceful timeout: killing it`);
      child.proc.kill('SIGKILL');
    }, this.config.gracefulTimeoutMs);
  }

  // --- worker events --------------------------------------------------------

  private onMessage(child: Child, message: FromWorker): void {
    switch (message.type) {
      case 'loaded':
        child.loaded = message;
        this.watcher?.watch(message.modules);
        if (child.phase === 'retiring') return;
        if (this.listeners !== undefined || this.dealer !== undefined) this.offer(child);
        else this.bindWhenLoaded();
        return;
      case 'serving':
        if (child.phase !== 'starting') return;
        child.phase = 'serving';
        child.servingSince = Date.now();
        this.dealer?.flush();
        this.watchSaturation();
        if (!this.announced && this.servingOfCurrent() >= this.processes) {
          this.announced = true;
          this.printBanner(child);
        }
        return this.reconcile();
      case 'paused':
        child.paused = true;
        child.busy = message.busy;
        child.pausedAt = Date.now();
        if (message.quotaReached) this.backlogLeft = true;
        return this.watchSaturation();
      case 'want-listen':
        child.paused = false;
        if (child.phase !== 'retiring' && this.listeners !== undefined) this.sendListeners(child, 0);
        return this.watchSaturation();
      case 'adopted':
        child.unconfirmed.shift()?.socket.destroy();
        return;
      case 'closed':
        child.open = Math.max(0, child.open - 1);
        return;
      case 'stats':
        this.snapshots.answer(message.id, message.snapshot);
        return;
      case 'hosts-reloaded':
        return this.hostsReloaded(child, message);
      case 'host-failed':
        log.error(`${WORKER_ERRORS.YW_HOST_START.code}: worker ${child.proc.pid}: python host start attempt ${message.attempt} failed: ${message.reason}`);
        return;
      case 'fatal':
        child.lastFatal = `${message.code}: ${message.message}`;
        if (!this.announced && !this.stopping && !this.fatalLogged) {
          this.fatalLogged = true;
          log.fatal(child.lastFatal);
        }
        return;
    }
  }

  private onExit(child: Child, code: number | null, signal: NodeJS.Signals | null): void {
    this.children.delete(child.id);
    this.watchSaturation();
    this.book.workerGone(child.proc.pid);
    if (child.killTimer !== undefined) clearTimeout(child.killTimer);
    if (this.exiting) return;
    if (child.unconfirmed.length > 0) this.dealer?.redeal(child.unconfirmed.splice(0));
    // A worker gone in the middle of a host reload answers nothing: go on without it.
    if (this.hostRound?.waiting.delete(child.id) === true) this.hostRoundProgress(this.hostRound);
    if (this.stopping || child.phase === 'retiring') {
      // Retired by a reload (or TTOU) while the server goes on: a restart for the metrics.
      if (!this.stopping && child.generation !== this.generation) this.book.workerRestarted('reload');
      return this.reconcile();
    }
    // EXIT.config: a worker that cannot take its configuration (e.g. switch to --user).
    const cannotLoad = code === EXIT.appLoad || code === EXIT.python || code === EXIT.config;
    if (cannotLoad && !this.announced) {
      // At start-up, restarting cannot help a broken app: stop instead of looping.
      this.killAll();
      return this.exit(code);
    }
    if (cannotLoad && child.generation === this.generation && this.beforeReload !== undefined && this.servingOfOthers() > 0) {
      // A reload whose app does not load: the old workers keep serving.
      const back = this.beforeReload;
      this.beforeReload = undefined;
      log.error(`reload failed, a new worker cannot start (${child.lastFatal ?? `status ${code}`}); keeping the old workers`);
      this.book.reloaded('failed');
      this.generation = back.generation;
      this.processes = back.processes;
      setLogLevel(this.config.logLevel);
      this.broadcastBalance();
      return this.reconcile();
    }
    const now = Date.now();
    if (child.servingSince !== undefined && now - child.servingSince > HEALTHY_AFTER_MS) this.failures = 0;
    const delay = this.failures === 0 ? 0 : Math.min(FIRST_BACKOFF_MS * 2 ** (this.failures - 1), MAX_BACKOFF_MS);
    this.failures++;
    this.nextSpawnAt = now + delay;
    this.book.workerRestarted('crash');
    const why = cannotLoad ? (child.lastFatal ?? `status ${code}`) : (signal ?? `status ${code}`);
    log.error(`worker ${child.proc.pid} ${cannotLoad ? 'cannot start' : 'died'} (${why}); starting another${delay > 0 ? ` in ${delay / 1000}s` : ''}`);
    this.reconcile();
  }

  private servingOfCurrent(): number {
    let n = 0;
    for (const c of this.children.values()) if (c.phase === 'serving' && c.generation === this.generation) n++;
    return n;
  }

  private servingOfOthers(): number {
    let n = 0;
    for (const c of this.children.values()) if (c.phase === 'serving' && c.generation !== this.generation) n++;
    return n;
  }

  // --- listening --------------------------------------------------------------

  private binds(): readonly Bind[] {
    return this.config.binds;
  }

  /** Unix sockets get --unix-socket-mode, and the workers' owner and group (--user/--group) so they stay theirs. */
  private unixOptions(): UnixSocketOptions {
    const c = this.config;
    return { mode: c.unixSocketMode, uid: c.privileges.uid, gid: c.privileges.gid };
  }

  /** Binds once every first worker has loaded the app: a broken app never takes the port. */
  private bindWhenLoaded(): void {
    if (this.binding) return;
    const first = [...this.children.values()].filter((c) => c.phase !== 'retiring');
    if (first.length < this.processes || first.some((c) => c.loaded === undefined)) return;
    this.binding = true;
    void this.bind();
  }

  private async bind(): Promise<void> {
    const binds = this.binds();
    try {
      this.listeners = await openSharedListeners(binds, undefined, this.unixOptions());
      this.bound = this.listeners.map((l) => ({ port: l.port, address: l.address, info: l.info }));
    } catch (err) {
      if (err instanceof BindError) return this.bindFailed(err.message);
      log.debug(`listening sockets cannot be shared with workers (${(err as Error).message}): the supervisor deals connections`);
      const dealer = new Dealer(() => this.dealTargets(), this.config.backlog);
      this.dealer = dealer;
      try {
        this.bound = await dealer.listen(binds, this.unixOptions());
      } catch (e) {
        dealer.close();
        if (e instanceof BindError) return this.bindFailed(e.message);
        const bind = binds[dealer.listening] as Bind;
        return this.bindFailed(`cannot listen on ${showBind(bind)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      }
    }
    if (this.stopping) return this.closeListeners();
    for (const child of this.children.values()) if (child.loaded !== undefined && child.phase === 'starting') this.offer(child);
  }

  private bindFailed(message: string): void {
    log.fatal(`YW_BIND: ${message}`);
    this.killAll();
    this.exit(EXIT.bind);
  }

  private *dealTargets(): Iterable<DealTarget> {
    for (const child of this.children.values()) {
      if (child.phase !== 'serving') continue;
      yield {
        get open() {
          return child.open;
        },
        set open(n: number) {
          child.open = n;
        },
        deal: (socket, bind) => {
          if (!child.proc.send({ type: 'connection', bind }, socket, true)) return false;
          child.unconfirmed.push({ socket, bind });
          return true;
        },
      };
    }
  }

  /** Tells a loaded worker how it gets connections. */
  private offer(child: Child): void {
    if (this.listeners !== undefined) this.sendListeners(child, 0);
    else if (this.dealer !== undefined) child.proc.send({ type: 'dealt', listeners: this.bound.map((b) => b.info) });
  }

  /** `drain` > 0: a forced resume (ToWorker 'listen'). */
  private sendListeners(child: Child, drain: number): void {
    const listeners = this.listeners ?? [];
    listeners.forEach((l, i) => child.proc.send({ type: 'listen', bind: i, of: listeners.length, balance: this.processes > 1, listener: l.info, drain }, l.handle));
  }

  /**
   * After every change of who accepts: while every serving worker is paused,
   * new connections wait in the backlog with nobody bound to take them, so
   * this bounds that wait (src/supervisor/saturation.ts). When a forced
   * resume's worker took its whole quota (more may wait), the next one is
   * resumed without a second bound.
   */
  private watchSaturation(): void {
    if (this.acceptRelief() === undefined) {
      if (this.saturationTimer !== undefined) clearTimeout(this.saturationTimer);
      this.saturationTimer = undefined;
      return;
    }
    if (this.backlogLeft) return this.relieve();
    this.saturationTimer ??= setTimeout(() => this.relieve(), SATURATION_BOUND_MS);
  }

  private acceptRelief(): ReturnType<typeof relief> {
    if (this.listeners === undefined || this.stopping || this.exiting) return undefined;
    const views: AcceptView[] = [];
    for (const c of this.children.values()) if (c.phase === 'serving') views.push({ id: c.id, paused: c.paused, busy: c.busy, pausedAt: c.pausedAt });
    return relief(views, this.config.threads);
  }

  private relieve(): void {
    if (this.saturationTimer !== undefined) clearTimeout(this.saturationTimer);
    this.saturationTimer = undefined;
    const pick = this.acceptRelief();
    const child = pick === undefined ? undefined : this.children.get(pick.id);
    if (pick === undefined || child === undefined) return;
    log.debug(`every worker saturated: worker ${child.proc.pid} (${child.busy} busy) takes up to ${pick.drain} waiting connection(s)`);
    child.paused = false;
    this.backlogLeft = false;
    this.sendListeners(child, pick.drain);
  }

  private broadcastBalance(): void {
    if (this.listeners === undefined) return;
    for (const child of this.children.values()) if (child.phase !== 'retiring') child.proc.send({ type: 'balance', balance: this.processes > 1 });
  }

  private closeListeners(): void {
    if (this.saturationTimer !== undefined) clearTimeout(this.saturationTimer);
    this.saturationTimer = undefined;
    for (const l of this.listeners ?? []) l.handle.close();
    this.listeners = undefined;
    this.dealer?.close();
    this.dealer = undefined;
    // Closing a bound Unix socket removes its file (libuv); this covers the fallback's and any other path.
    if (this.bound.length > 0) removeSocketFiles(this.binds());
  }

  private printBanner(child: Child): void {
    // First, so that whoever waits for the banner finds the pid file written.
    this.options.banner.onListening?.();
    const c = this.config;
    const scheme = c.tls === null ? 'http' : 'https';
    // Every address: TCP ones as URLs with the port actually bound, the others as given.
    const addresses = this.binds().map((b, i) => {
      const bound = this.bound[i];
      if (b.kind === 'tcp') return `${scheme}://${showBind(b, bound?.port)}`;
      // An inherited TCP socket: the address it is bound to, then where it came from.
      if (b.kind === 'fd' && bound?.info.kind === 'tcp') return `${scheme}://${showBind({ kind: 'tcp', host: bound.address, port: bound.port })} (${showBind(b)})`;
      // An inherited Unix socket: its path too, when known.
      if (b.kind === 'fd' && bound?.info.kind === 'unix' && bound.info.path !== '') return `${showBind(b)} unix:${bound.info.path} (${scheme})`;
      return `${showBind(b)} (${scheme})`;
    });
    const python = child.loaded?.python ?? '?';
    const executable = child.loaded?.executable ?? '?';
    const p = this.processes;
    process.stdout.write(
      `yimmo-wsgi ${this.options.banner.version} | Node ${process.version} (${process.execPath}) | Python ${python} (${executable})\n` +
        `Serving ${this.options.banner.appSpec} on ${addresses.join(', ')} | ${p} process${p > 1 ? 'es' : ''} x ${c.threads} thread${c.threads > 1 ? 's' : ''} | pid ${process.pid}\n`,
    );
  }

  // --- signals ------------------------------------------------------------------

  private onSignal(signal: SupervisorSignal): void {
    if (this.exiting) return;
    switch (signal) {
      case 'SIGTERM':
      case 'SIGINT':
      case 'SIGQUIT':
        return this.stop(signal);
      case 'SIGHUP':
        return this.reload();
      case 'SIGUSR1':
        reopenLogFiles();
        for (const child of this.children.values()) child.proc.send({ type: 'reopen-logs' });
        // After reopening: the line lands in the new file, where logrotate's user looks.
        return log.info('SIGUSR1: reopened log files');
      case 'SIGUSR2':
        return log.notice('SIGUSR2: ignored (yimmo-wsgi does not re-execute itself; SIGHUP reloads)');
      case 'SIGTTIN':
        if (this.stopping) return;
        if (this.processes >= MAX_PROCESSES) return log.notice(`SIGTTIN: already ${MAX_PROCESSES} processes`);
        this.processes++;
        log.notice(`SIGTTIN: ${this.processes} processes`);
        this.broadcastBalance();
        return this.reconcile();
      case 'SIGTTOU':
        if (this.stopping) return;
        if (this.processes <= 1) return log.notice('SIGTTOU: already 1 process');
        this.processes--;
        log.notice(`SIGTTOU: ${this.processes} process${this.processes > 1 ? 'es' : ''}`);
        this.broadcastBalance();
        return this.reconcile();
      case 'SIGWINCH':
        return log.debug('SIGWINCH: ignored');
    }
  }

  /** TERM/INT/QUIT: finish requests in flight, then exit 0. A second one stops at once. */
  private stop(signal: SupervisorSignal): void {
    if (this.stopping) {
      log.notice(`${signal} again: stopping now`);
      this.killAll();
      return this.exit(EXIT.ok);
    }
    this.stopping = true;
    log.notice(`${signal}: finishing requests in flight (up to ${this.config.gracefulTimeoutMs / 1000}s)`);
    // Workers close their own copies as they stop; then the socket closes.
    this.closeListeners();
    // Workers already retiring (a reload in progress) now close idle connections too.
    for (const child of this.children.values()) if (child.phase === 'retiring') child.proc.send({ type: 'shutdown', mode: 'stop' });
    this.forceTimer = setTimeout(() => {
      log.warning('graceful timeout reached: stopping the remaining workers');
      this.killAll();
      this.exit(EXIT.ok);
    }, this.config.gracefulTimeoutMs);
    this.reconcile();
  }

  /** HUP: a new generation from the configuration read again; the old one keeps serving if it is bad. */
  private reload(): void {
    if (this.stopping) return;
    let fresh: WorkerConfig;
    try {
      fresh = this.options.reload();
    } catch (err) {
      return log.error(`SIGHUP: ${(err as Error).message}; keeping the current configuration`);
    }
    const old = this.config;
    const same = fresh.binds.length === old.binds.length && fresh.binds.every((b, i) => {
      const was = old.binds[i] as Bind;
      // Port 0 asked for any port: the one we got is the same address.
      return showBind(b) === showBind(was) || (b.kind === 'tcp' && was.kind === 'tcp' && b.host === was.host && b.port === this.bound[i]?.port);
    });
    if (!same || fresh.backlog !== old.backlog || fresh.unixSocketMode !== old.unixSocketMode) {
      log.warning(`SIGHUP: the addresses, the backlog and the socket mode change only on a restart; still listening on ${old.binds.map((b, i) => showBind(b, this.bound[i]?.port)).join(', ')}`);
    }
    // The admin endpoint is bound at start-up only: the workers keep stats as long as it runs.
    fresh = { ...fresh, binds: old.binds, backlog: old.backlog, unixSocketMode: old.unixSocketMode, adminEndpoint: old.adminEndpoint };
    const scope = reloadScope(old, fresh);
    if (scope.kind === 'hosts') {
      const what = scope.changed.length === 0 ? 'no setting changed' : `only host settings changed (${scope.changed.join(', ')})`;
      return this.reloadHosts(fresh, `SIGHUP: configuration read again, ${what}`);
    }
    if (this.beforeReload === undefined || this.servingOfCurrent() > 0) this.beforeReload = { generation: this.generation, processes: this.processes };
    this.generation++;
    this.configs.set(this.generation, fresh);
    this.updateWatcher(fresh);
    this.processes = fresh.processes;
    setLogLevel(fresh.logLevel);
    log.notice(`SIGHUP: configuration read again; replacing the workers one at a time (${this.processes} process${this.processes > 1 ? 'es' : ''})`);
    this.broadcastBalance();
    this.reconcile();
  }

  /**
   * A reload that needs no new worker: each worker swaps its Python host for
   * one started with `config` (new code, new host settings) and no
   * connection is closed. One worker goes first; the others follow once its
   * new host serves. If it cannot start, every worker keeps its old host.
   */
  private reloadHosts(config: WorkerConfig, why: string): void {
    const previous = this.config;
    this.configs.set(this.generation, config); // workers started from now on load it themselves
    setLogLevel(config.logLevel);
    this.updateWatcher(config);
    const targets = [...this.children.values()].filter((c) => c.phase !== 'retiring' && c.generation === this.generation);
    const first = targets.find((c) => c.loaded !== undefined);
    const round: HostRound = {
      id: ++this.hostRounds,
      config,
      previous,
      generation: this.generation,
      waiting: new Set(),
      rest: targets.filter((c) => c !== first).map((c) => c.id),
      swapped: 0,
      failed: false,
    };
    this.hostRound = round;
    log.notice(`${why}; swapping the python hosts of ${targets.length} worker${targets.length === 1 ? '' : 's'} (no connection is closed)`);
    if (first === undefined) return this.askRest(round);
    round.waiting.add(first.id);
    first.proc.send({ type: 'reload-hosts', round: round.id, config });
  }

  private askRest(round: HostRound): void {
    const rest = round.rest ?? [];
    round.rest = undefined;
    for (const id of rest) {
      const child = this.children.get(id);
      if (child === undefined || child.phase === 'retiring') continue;
      round.waiting.add(id);
      child.proc.send({ type: 'reload-hosts', round: round.id, config: round.config });
    }
    this.hostRoundProgress(round);
  }

  private hostsReloaded(child: Child, message: Extract<FromWorker, { type: 'hosts-reloaded' }>): void {
    const round = this.hostRound;
    if (round === undefined || message.round !== round.id || !round.waiting.delete(child.id)) return;
    if (message.error === undefined) {
      round.swapped++;
      this.watcher?.watch(message.modules);
    } else if (!round.failed) {
      round.failed = true;
      this.book.reloaded('failed');
      log.error(`${WORKER_ERRORS.YW_RELOAD_FAILED.code}: reload failed, the new python host of worker ${child.proc.pid} did not start; ` +
        `the workers keep serving the previous code: ${message.error}`);
      // Not one host swapped: the configuration stays the one they run.
      if (round.swapped === 0 && round.rest !== undefined && this.generation === round.generation) {
        round.rest = [];
        this.configs.set(this.generation, round.previous);
        setLogLevel(round.previous.logLevel);
      }
    }
    this.hostRoundProgress(round);
  }

  private hostRoundProgress(round: HostRound): void {
    if (round.waiting.size > 0 || round !== this.hostRound) return;
    if (round.rest !== undefined) return this.askRest(round);
    this.hostRound = undefined;
    if (!round.failed) this.book.reloaded('ok');
    if (round.swapped > 0) log.notice(`reload done: ${round.swapped} python host${round.swapped === 1 ? '' : 's'} swapped${round.failed ? ' (some failed, see above)' : ''}`);
  }

  /** --reload on (from the start or a reload): poll the app's files and the extra ones. */
  private updateWatcher(config: WorkerConfig): void {
    if (!config.reload.enabled) {
      this.watcher?.stop();
      this.watcher = undefined;
      return;
    }
    if (this.watcher === undefined) {
      this.watcher = new CodeWatcher((files) => {
        if (this.stopping || this.exiting) return;
        const more = files.length > 1 ? ` and ${files.length - 1} more` : '';
        this.reloadHosts(this.config, `--reload: ${files[0] ?? '?'}${more} changed`);
      });
      this.watcher.start();
      for (const child of this.children.values()) if (child.loaded !== undefined) this.watcher.watch(child.loaded.modules);
    }
    this.watcher.watch(config.reload.extraFiles);
  }

  // --- ending -------------------------------------------------------------------

  private killAll(): void {
    for (const child of this.children.values()) child.proc.kill('SIGKILL');
  }

  private exit(code: number): void {
    if (this.exiting) return;
    this.exiting = true;
    if (this.forceTimer !== undefined) clearTimeout(this.forceTimer);
    if (this.saturationTimer !== undefined) clearTimeout(this.saturationTimer);
    if (this.spawnTimer !== undefined) clearTimeout(this.spawnTimer);
    this.watcher?.stop();
    this.admin?.close();
    // Let the last log lines and IPC messages leave first.
    setTimeout(() => process.exit(code), 20);
  }
}
