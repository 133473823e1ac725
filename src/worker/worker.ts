// A worker process: its connections (accepted on the supervisor's listening
// handles, or dealt by the supervisor in the fallback), and the Python host
// that runs the app.
import * as fs from 'node:fs';
import * as net from 'node:net';
import type * as Tls from 'node:tls';
import { Connection, type ConnectionEvents, type ConnectionOptions, type ExchangeEnd, type ExchangeRecord } from '../http/connection';
import { cannedResponse } from '../http/canned';
import type { RequestHead } from '../http/request-head';
import { HostStartError } from '../bridge/host';
import { configureLogging, enabled, log, setLogLevel } from '../log/logger';
import { HTTP_ERRORS, STARTUP_ERRORS, WORKER_ERRORS } from '../errors';
import { BridgeExchange } from './exchange';
import { HostKeeper } from './host-keeper';
import { AccessLogger, wantsFineDuration } from './access-logger';
import { ClientFacts } from './client-facts';
import { dropPrivileges, hostIds } from './privileges';
import { hostTitle } from './titles';
import type { ConnectionFacts } from './environ';
import type * as Http2Session from '../http2/session';
import { sniffPreface } from '../http2/preface';
import type { StreamSide } from '../http2/stream-side';
import { WorkerStats } from './stats';
import type { WorkerSnapshot } from '../ipc/snapshot';
import { EXIT, type FromWorker, type ListenerInfo, type WorkerConfig } from '../ipc/contract';
import type { HostOptions } from '../bridge/host-start';

export const SERVER_NAME = 'yimmo-wsgi';
/** The client-side deadlines whose end is worth a line of its own (the app's are logged where they happen). */
const CLIENT_ERRORS: Partial<Record<ExchangeEnd, { code: string; message: string }>> = {
  'head-timeout': WORKER_ERRORS.YW_HEADER_TIMEOUT,
  'body-timeout': WORKER_ERRORS.YW_BODY_TIMEOUT,
  'send-timeout': WORKER_ERRORS.YW_SEND_TIMEOUT,
};
const REQUEST_WINDOW = 64 * 1024;
const RESPONSE_WINDOW = 1024 * 1024;
const SWEEP_MS = 250;
/**
 * A connection counts as busy this long after it is accepted, before its
 * first request arrives: a burst of connections is spread over the workers
 * before any of their requests is parsed.
 */
const FRESH_MS = 250;
/**
 * Pauses are rationed (a token bucket): a burst may need a few in a row (one
 * per round of requests), but under saturation with a new connection per
 * request every worker is busy anyway, and pausing on each one costs 4 IPC
 * messages a cycle for nothing (ARCHITECTURE.md has the numbers). Up to
 * PAUSE_BURST at once, one more every PAUSE_REFILL_MS.
 */
const PAUSE_BURST = 4;
const PAUSE_REFILL_MS = 25;
/**
 * A pause is reported to the supervisor (which bounds the time every worker
 * is paused at once: src/supervisor/saturation.ts) only once it has lasted
 * this long: most pauses end sooner (a request frees a thread), and then no
 * message is sent for them (one IPC message saved per such pause).
 */
export const PAUSE_REPORT_MS = 50;

export class Worker {
  private readonly connections = new Set<Connection>();
  /** Connections (or HTTP/2 streams) whose parsed request waits for a host to be (re)started. */
  private readonly waiting = new Set<{ startWaiting(): void }>();
  /** --http2: the HTTP/2 sessions (src/http2/session.ts); undefined: HTTP/1.x only. */
  private readonly http2: Http2Session.Http2Sessions<ConnectionFacts> | undefined;
  private readonly hosts: HostKeeper;
  private readonly connectionOptions: ConnectionOptions;
  /** One server per bind (index = the supervisor's bind index); in the fallback, one that never listens. */
  private readonly servers: net.Server[] = [];
  private sweepTimer: NodeJS.Timeout | undefined;
  private shuttingDown = false;
  private readonly clientFacts: ClientFacts;
  private access: AccessLogger | undefined;
  private readonly stats: WorkerStats;
  /** The TLS files, read once before the worker gives up its start-up ids (--user). */
  private tlsMaterial: { readonly cert: Buffer; readonly key: Buffer } | null = null;
  private loaded = false;
  private servingReported = false;
  /**
   * Load-aware accepting (ARCHITECTURE.md): with other workers on the same
   * socket, a saturated worker closes its copies of the listening handles and
   * asks for them again when it has room.
   */
  private balance = false;
  private paused = false;
  private wantSent = false;
  /** Connections with a request in progress (or waiting for a host). */
  private readonly inFlight = new Set<Connection | StreamSide>();
  /** Accepted, no request yet: accept time. */
  private readonly fresh = new Map<Connection, number>();
  /** Times this worker stopped accepting because it was saturated (for the debug log). */
  private pauses = 0;
  private pauseTokens = PAUSE_BURST;
  private tokensAt = 0;
  /**
   * A forced resume (the supervisor's `listen` with `drain` > 0: every worker
   * was saturated too long): connections still to take before pausing again;
   * 0 when accepting as usual. The drain also ends once the backlog is empty
   * (`drainCheck`).
   */
  private drainLeft = 0;
  private drainChecking = false;
  private drainAccepted = false;
  /** Reports the current pause once it has lasted PAUSE_REPORT_MS. */
  private pauseReport: NodeJS.Timeout | undefined;
  constructor(
    private readonly config: WorkerConfig,
    private readonly report: (message: FromWorker) => void,
    /** The supervisor's number for this worker (process titles). */
    private readonly number = 0,
  ) {
    setLogLevel(config.logLevel);
    this.stats = new WorkerStats(config.threads, config.slowRequestMs, config.adminEndpoint);
    this.hosts = new HostKeeper(hostOptions(config, number), config.recycle, config.gracefulTimeoutMs, {
      ready: (host) => {
        this.stats.hostReady(host);
        this.startWaiting();
      },
      startFailed: (reason, attempt) => this.report({ type: 'host-failed', reason, attempt }),
      replaced: (reason) => this.stats.hostReplaced(reason),
      reloaded: (round, error, host) => this.report({ type: 'hosts-reloaded', round, ...(error === undefined ? {} : { error }), modules: host?.info.modules ?? [] }),
    });
    this.clientFacts = new ClientFacts(config);
    this.connectionOptions = {
      limits: config.limits,
      idleTimeoutMs: config.idleTimeoutMs,
      headerTimeoutMs: config.headerTimeoutMs,
      bodyTimeoutMs: config.bodyTimeoutMs,
      requestTimeoutMs: config.requestTimeoutMs,
      sendTimeoutMs: config.sendTimeoutMs,
      hostStartTimeoutMs: config.hostStartTimeoutMs,
      serverName: SERVER_NAME,
      fineDuration: wantsFineDuration(config.logging),
    };
    // src/http2/session.ts (and node:http2, which loads node:tls: ~4 MB of
    // RSS) is loaded only by a worker that serves --http2 (bench/results/profile.md).
    this.http2 = config.http2 === null ? undefined : new (require('../http2/session') as typeof Http2Session).Http2Sessions<ConnectionFacts>(
      { ...this.connectionOptions, http2: config.http2 },
      {
        startExchange: (side, head, facts) => this.startExchange(side, head, facts),
        exchangeDone: (side, record) => this.exchangeDone(side, record),
        rejected: (socket, error, record) => {
          const client = this.clientFacts.clientAddress(socket);
          log.info(`${client} HTTP/2 stream rejected with ${error.status}: ${error.code} (${error.detail})`);
          this.access?.exchangeDone({ socket, writer: undefined }, record, client);
          this.stats.requestDone(record, record);
        },
        timedOut: (wait) => this.stats.timedOut(wait),
        closed: (session, socket) => {
          this.stats.connectionClosed(session, socket);
          this.connectionClosed();
        },
      },
    );
  }

  /** Open client connections: HTTP/1.x ones and HTTP/2 sessions. */
  private get openConnections(): number {
    return this.connections.size + (this.http2?.size ?? 0) + this.h2Pending.size;
  }

  /** Loads the application, then says so: the supervisor binds and sends the listening handles only then. */
  async start(): Promise<void> {
    try {
      configureLogging({ format: this.config.logging.format, errorLog: this.config.logging.errorLog });
      this.access = new AccessLogger(this.config.logging);
    } catch (err) {
      // The supervisor opened the same files a moment ago: this is rare (a race with rm), and final.
      this.report({ type: 'fatal', code: STARTUP_ERRORS.YW_CONFIG_LOG_FILE.code, message: (err as Error).message });
      return this.exit(EXIT.config);
    }
    let host;
    try {
      host = await this.hosts.start();
    } catch (err) {
      const e = err as HostStartError;
      if (this.shuttingDown) return;
      const code = e.appLoad ? STARTUP_ERRORS.YW_APP_LOAD.code : STARTUP_ERRORS.YW_PYTHON.code;
      this.report({ type: 'fatal', code, message: e.message });
      return this.exit(e.appLoad ? EXIT.appLoad : EXIT.python);
    }
    // Told to stop while the app loaded: never listen.
    if (this.shuttingDown) return void this.hosts.stop();
    // Read the TLS files now: the supervisor binds, so nothing left needs the
    // ids we started with (a root-only key is readable only before this).
    const tlsFiles = this.config.tls;
    if (tlsFiles !== null) this.tlsMaterial = { cert: fs.readFileSync(tlsFiles.certPath), key: fs.readFileSync(tlsFiles.keyPath) };
    dropPrivileges(this.config.privileges);
    this.loaded = true;
    this.report({ type: 'loaded', python: host.info.python, executable: host.info.executable, hostPid: host.info.pid, modules: host.info.modules });
    this.sweepTimer = setInterval(this.sweep, SWEEP_MS);
  }

  /**
   * Accept on the supervisor's listening handle for bind `bind` (of `of`).
   * Reports `serving` once every bind listens the first time.
   */
  listenOn(bind: number, of: number, balance: boolean, listener: ListenerInfo, handle: unknown, drain = 0): void {
    this.balance = balance;
    const raw = handle as { close?: () => void } | null;
    if (this.shuttingDown || !this.loaded || raw === null || typeof raw !== 'object') return void raw?.close?.();
    const server = this.servers[bind] ?? this.createServer(listener);
    this.servers[bind] = server;
    if (server.listening) return void raw.close?.(); // a duplicate: ours is open
    if (drain > 0 && this.paused) this.drainLeft = drain;
    server.listen(handle, this.config.backlog, () => {
      if (!Array.from({ length: of }, (_, i) => this.servers[i]).every((s) => s?.listening === true)) return;
      if (this.paused) log.debug(`accepting again (${this.load(Date.now())} busy)`);
      this.paused = false;
      this.wantSent = false;
      if (!this.servingReported) {
        this.servingReported = true;
        this.report({ type: 'serving' });
      }
    });
  }

  /** The fallback: connections arrive as `connection` messages (adopt()). */
  takeDealt(listeners: readonly ListenerInfo[]): void {
    if (this.shuttingDown || !this.loaded || this.servingReported) return;
    listeners.forEach((listener, i) => (this.servers[i] ??= this.createServer(listener)));
    this.servingReported = true;
    this.report({ type: 'serving' });
  }

  setBalance(balance: boolean): void {
    this.balance = balance;
    if (!balance) this.maybeResume();
  }

  /** Busy connections: requests in progress, and fresh ones whose first request has not arrived yet. */
  private load(now: number): number {
    let fresh = 0;
    for (const [connection, at] of this.fresh) {
      if (now - at < FRESH_MS) fresh++;
      else this.fresh.delete(connection);
    }
    return this.inFlight.size + fresh;
  }

  /**
   * Saturated (as many busy connections as threads: another would queue
   * behind them): stop accepting, the other workers take the next connections
   * and the rest wait in the kernel's backlog for the first worker with room.
   */
  private maybePause(): void {
    if (!this.balance || this.paused || this.shuttingDown) return;
    const now = Date.now();
    if (this.load(now) < this.config.threads) return;
    this.pauseTokens = Math.min(PAUSE_BURST, this.pauseTokens + (now - this.tokensAt) / PAUSE_REFILL_MS);
    this.tokensAt = now;
    if (this.pauseTokens < 1) return;
    this.pauseTokens--;
    this.pause(false);
  }

  /** Closes our copies of the listening handles and tells the supervisor, which watches for every worker pausing at once. */
  private pause(quotaReached: boolean): void {
    this.drainLeft = 0;
    this.paused = true;
    this.pauses++;
    const busy = this.load(Date.now());
    log.debug(`saturated (${busy} busy): not accepting (pause ${this.pauses}${quotaReached ? ', forced resume\'s quota taken' : ''})`);
    for (const server of this.servers) if (server.listening) server.close();
    if (this.pauseReport !== undefined) clearTimeout(this.pauseReport);
    this.pauseReport = undefined;
    // A forced resume's quota taken: more may wait, and the supervisor resumes the next worker at once.
    if (quotaReached) return this.report({ type: 'paused', busy, quotaReached });
    this.pauseReport = setTimeout(this.reportPause, PAUSE_REPORT_MS);
    this.pauseReport.unref();
  }

  private readonly reportPause = (): void => {
    this.pauseReport = undefined;
    if (this.paused && !this.wantSent && !this.shuttingDown) this.report({ type: 'paused', busy: this.load(Date.now()), quotaReached: false });
  };

  /**
   * A connection taken during a forced resume. Every worker is saturated, so
   * pausing after one would leave the rest of the backlog for another bound:
   * the worker takes up to its quota (then pauses at once, and the supervisor
   * resumes the next least loaded worker with no wait) or, if fewer wait,
   * all of them. The quota's pauses are not rationed: they happen only while
   * every worker is saturated, at most one per connection.
   */
  private drainTook(): void {
    if (this.load(Date.now()) < this.config.threads) {
      this.drainLeft = 0; // room after all: accepting as usual
      return;
    }
    if (--this.drainLeft <= 0) return this.pause(true);
    this.drainAccepted = true;
    if (this.drainChecking) return;
    this.drainChecking = true;
    setImmediate(this.drainCheck);
  }

  /**
   * libuv accepts one connection per turn of the event loop (libuv/libuv#3696)
   * and polls without waiting while an immediate is pending, so a whole turn
   * (check phase to check phase) with no accept means the listening socket
   * was not readable: the backlog is empty, and the ordinary rule applies.
   */
  private readonly drainCheck = (): void => {
    if (this.drainLeft > 0 && this.drainAccepted) {
      this.drainAccepted = false;
      return void setImmediate(this.drainCheck);
    }
    this.drainChecking = false;
    if (this.drainLeft === 0) return;
    this.drainLeft = 0;
    this.maybePause();
  };

  /**
   * Room again: ask for the handles back once a quarter of the threads (at
   * least one) are free; the gap to the pause threshold keeps a worker with
   * many threads from flapping on every finished request.
   */
  private maybeResume(): void {
    if (!this.paused || this.wantSent || this.shuttingDown) return;
    const threads = this.config.threads;
    if (this.balance && this.load(Date.now()) > threads - Math.max(1, Math.floor(threads / 4))) return;
    this.wantSent = true;
    if (this.pauseReport !== undefined) clearTimeout(this.pauseReport); // a short pause: the supervisor never hears of it
    this.pauseReport = undefined;
    this.report({ type: 'want-listen' });
  }

  /** One server per bind, TCP or Unix alike; TLS, when on, on every one. */
  private createServer(listener: ListenerInfo): net.Server {
    const material = this.tlsMaterial;
    // allowHalfOpen: a client that shuts down its sending side after the
    // request still gets the response (RFC 9112 9.6); Connection closes later.
    // noDelay (TCP_NODELAY, a setsockopt per connection) only where accepted
    // sockets do not inherit it from the listening socket (ListenerInfo).
    const noDelay = listener.kind === 'tcp' && !listener.noDelay;
    let server: net.Server;
    if (material === null) {
      server = net.createServer({ noDelay, allowHalfOpen: true }, (socket) => this.accept(socket, 'http', listener));
    } else {
      // node:tls (and OpenSSL's set-up) is loaded only by a worker that serves
      // TLS (bench/results/profile.md).
      const tls = require('node:tls') as typeof Tls;
      server = tls.createServer(
        {
          cert: material.cert,
          key: material.key,
          allowHalfOpen: true,
          noDelay,
          // --http2: ALPN offers h2 first; a client that names neither gets HTTP/1.1.
          ...(this.http2 !== undefined ? { ALPNProtocols: ['h2', 'http/1.1'] } : {}),
        },
        (socket) => this.accept(socket, 'https', listener),
      );
      server.on('tlsClientError', (err) => log.debug(`TLS handshake failed: ${err.message}`));
    }
    this.clientFacts.install(server, listener, material !== null); // the PROXY protocol pre-stage, before TLS and HTTP
    // The socket was bound by the supervisor: what remains are accept errors
    // (EMFILE when out of descriptors), which must not end the worker.
    server.on('error', (err: NodeJS.ErrnoException) => log.error(`accepting a connection failed: ${err.code ?? err.message}`));
    return server;
  }

  /** A connection the supervisor accepted (the fallback): handled as if our own server had. */
  adopt(socket: net.Socket, bind: number): void {
    socket.once('close', () => this.report({ type: 'closed' }));
    const server = this.servers[bind];
    if (server === undefined) return void socket.destroy();
    socket.allowHalfOpen = true; // as our own servers are created (see createServer)
    // net.Server and tls.Server both start a connection on this event (TLS wraps it).
    server.emit('connection', socket);
  }

  private accept(socket: net.Socket, scheme: 'http' | 'https', listener: ListenerInfo): void {
    if (this.shuttingDown || this.openConnections >= this.config.maxConnections) {
      if (!this.shuttingDown) log.warning(`${WORKER_ERRORS.YW_OVERLOADED.code}: ${this.openConnections} connections; answering 503`);
      socket.on('error', () => socket.destroy());
      socket.end(cannedResponse(503, true, SERVER_NAME));
      this.stats.connectionRefused();
      return;
    }
    this.stats.connectionAccepted();
    const facts = this.clientFacts.facts(socket, scheme, listener);
    const h2 = this.http2;
    if (h2 === undefined) return this.http1(socket, facts);
    // --http2: TLS chose by ALPN; plain TCP by the first bytes (the h2c preface, or not).
    if (scheme === 'https') return (socket as Tls.TLSSocket).alpnProtocol === 'h2' ? h2.accept(socket, facts) : this.http1(socket, facts);
    this.h2Pending.add(socket); // counted against --max-connections and dropped on a stop while undecided
    sniffPreface(socket, this.config.idleTimeoutMs, (kind) => {
      this.h2Pending.delete(socket);
      if (kind === 'h2') return h2.accept(socket, facts);
      this.http1(socket, facts);
      socket.resume();
    });
    socket.once('close', () => this.h2Pending.delete(socket) && this.connectionClosed());
  }

  private http1(socket: net.Socket, facts: ConnectionFacts): void {
    const connection = new Connection(socket, this.connectionOptions, (conn, head) => this.startExchange(conn, head, facts), this.events);
    this.connections.add(connection);
    // Fresh connections count toward the load only where the load decides anything (balance).
    if (!this.balance) return;
    this.fresh.set(connection, Date.now());
    if (this.drainLeft > 0) this.drainTook();
    else this.maybePause();
  }

  /** Plain-TCP sockets whose first bytes have not yet said HTTP/1.1 or HTTP/2. */
  private readonly h2Pending = new Set<net.Socket>();

  private startExchange(connection: Connection | StreamSide, head: RequestHead, facts: ConnectionFacts) {
    if (connection instanceof Connection) this.fresh.delete(connection);
    this.inFlight.add(connection);
    // A stopping worker says so on every response, so that no client sends
    // another request on a connection about to close (HTTP/2: its GOAWAY says it).
    if (this.shuttingDown && connection instanceof Connection && connection.writer !== undefined && !connection.writer.started) connection.writer.keepAlive = false;
    const host = this.hosts.current;
    if (host === undefined || !host.isAlive) {
      // Between a host's death (or recycling) and its replacement: the
      // request waits, bounded by the request timeout (then 503).
      this.waiting.add(connection);
      this.stats.requestStarted(connection, head, facts.remoteAddress, undefined);
      return undefined;
    }
    const exchange = new BridgeExchange(connection, host, head, facts, { requestWindow: REQUEST_WINDOW }, (h, stream) => this.hosts.recycle(h, stream));
    this.stats.requestStarted(connection, head, facts.remoteAddress, exchange);
    this.hosts.requestStarted(host);
    return exchange;
  }

  /** For the supervisor's metrics and status page (src/worker/stats.ts). */
  snapshot(stackOf?: number): Promise<WorkerSnapshot> {
    const sockets = [...this.connections].map((c) => c.socket).concat(this.http2?.sockets() ?? []);
    return this.stats.snapshot(sockets, this.hosts.current, stackOf);
  }

  private startWaiting(): void {
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const connection of waiting) connection.startWaiting();
  }

  private exchangeDone(source: Connection | StreamSide, record: ExchangeRecord): void {
    this.inFlight.delete(source);
    this.maybeResume();
    const timeout = CLIENT_ERRORS[record.end];
    const logTimeout = timeout !== undefined && enabled('INFO');
    const access = this.access !== undefined && this.access.active ? this.access : undefined;
    if (logTimeout || access !== undefined) {
      // Behind the PROXY protocol the client is the one its header names.
      const client = this.clientFacts.clientAddress(source.socket);
      if (logTimeout) log.info(`${client} ${timeout.code}: ${timeout.message}`);
      access?.exchangeDone(source, record, client);
    }
    this.stats.requestDone(source, record);
  }

  private connectionClosed(): void {
    if (this.shuttingDown && this.openConnections === 0) void this.finishShutdown();
  }

  private readonly events: ConnectionEvents = {
    exchangeDone: (connection, record) => this.exchangeDone(connection, record),
    rejected: (connection, error) => {
      const known = (HTTP_ERRORS as Record<string, { message: string }>)[error.code];
      log.info(`${this.clientFacts.clientAddress(connection.socket)} rejected with ${error.status}: ${error.code} ${known?.message ?? ''} (${error.detail})`);
    },
    closed: (connection) => {
      this.connections.delete(connection);
      this.waiting.delete(connection);
      this.stats.connectionClosed(connection, connection.socket);
      this.inFlight.delete(connection);
      this.fresh.delete(connection);
      this.maybeResume();
      this.connectionClosed();
    },
  };

  private readonly sweep = (): void => {
    const now = Date.now();
    for (const connection of this.connections) {
      const passed = connection.check(now);
      if (passed !== undefined) this.stats.timedOut(passed);
    }
    this.http2?.check(now);
    this.maybeResume(); // fresh connections age out of the load
    this.hosts.sweep(now); // --max-host-age, --max-rss
  };

  /**
   * A reload that needs no new worker: a new host (new code, or the new
   * host settings of `config`) takes over from the current one, which
   * finishes its requests; no connection is closed.
   */
  reloadHosts(round: number, config: WorkerConfig): void {
    if (this.shuttingDown) return;
    setLogLevel(config.logLevel);
    this.hosts.reload(round, hostOptions({ ...this.config, python: config.python, app: config.app, hostTitles: config.hostTitles, logLevel: config.logLevel, reload: config.reload }, this.number), config.recycle);
  }

  /**
   * Graceful stop: no new connections; busy ones close after their response
   * (which says Connection: close). `stop`: idle keep-alive connections close
   * now. `retire` (a successor serves): they close after their next response
   * or at their idle deadline, so no request races the close.
   */
  shutdown(mode: 'stop' | 'retire'): void {
    const first = !this.shuttingDown;
    this.shuttingDown = true;
    if (first) for (const server of this.servers) if (server.listening) server.close();
    for (const connection of this.connections) {
      if (mode === 'stop' && connection.isIdle) connection.close();
      else {
        connection.closeAfterResponse = true;
        const writer = connection.writer;
        if (!connection.isIdle && writer !== undefined && !writer.started) writer.keepAlive = false;
      }
    }
    this.http2?.shutdown(); // GOAWAY: open streams finish
    for (const socket of this.h2Pending) socket.destroy(); // no request began on them
    if (this.openConnections === 0) void this.finishShutdown();
  }

  private finished = false;
  private async finishShutdown(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (this.sweepTimer !== undefined) clearInterval(this.sweepTimer);
    await this.hosts.stop();
    this.exit(0);
  }

  /** Supervisor gone: nobody will restart or stop us, so end now (no orphans). */
  abandon(): void {
    void this.hosts.stop();
    setTimeout(() => process.exit(0), 100).unref();
    for (const connection of this.connections) connection.abort();
    this.http2?.abort();
  }

  private exit(code: number): void {
    // Let the IPC message to the supervisor leave before the process ends.
    setTimeout(() => process.exit(code), 50);
  }
}

/** What each Python host of a worker starts with. */
function hostOptions(config: WorkerConfig, worker: number): HostOptions {
  return {
    python: config.python,
    app: config.app,
    threads: config.threads,
    multiprocess: config.processes > 1,
    logLevel: config.logLevel,
    requestWindow: REQUEST_WINDOW,
    responseWindow: RESPONSE_WINDOW,
    // The host's waits (a direct write's client, the worker's answers)
    // are bounded by the request timeout, or by the send timeout when
    // that is off, so that they are never unbounded. The worker's own
    // wait on the client before DIRECT_GO is the send timeout
    // (src/http/deadlines.ts); with a shorter send timeout it acts first.
    directTimeoutMs: config.requestTimeoutMs > 0 ? config.requestTimeoutMs : config.sendTimeoutMs,
    startTimeoutMs: config.hostStartTimeoutMs,
    reportModules: config.reload.enabled,
    ...hostIds(config.privileges),
    ...hostTitle(config, worker),
  };
}
