// A worker process: its connections (from its own listener when it is the
// only worker, else dealt by the supervisor), and the Python host that runs
// the app.
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as tls from 'node:tls';
import { Connection, type ConnectionEvents, type ConnectionOptions, type ExchangeEnd, type ExchangeRecord } from '../http/connection';
import { cannedResponse } from '../http/canned';
import type { RequestHead } from '../http/request-head';
import { HostStartError } from '../bridge/host';
import { configureLogging, enabled, log, setLogLevel } from '../log/logger';
import { HTTP_ERRORS, STARTUP_ERRORS, WORKER_ERRORS } from '../errors';
import { BridgeExchange } from './exchange';
import { HostKeeper } from './host-keeper';
import { AccessLogger } from './access-logger';
import { ClientFacts } from './client-facts';
import { dropPrivileges, hostIds } from './privileges';
import { hostTitle } from './titles';
import type { ConnectionFacts } from './environ';
import { Http2Sessions } from '../http2/session';
import { sniffPreface } from '../http2/preface';
import type { StreamSide } from '../http2/stream-side';
import { EXIT, type FromWorker, type WorkerConfig } from '../ipc/contract';

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

export class Worker {
  private readonly connections = new Set<Connection>();
  /** Connections (or HTTP/2 streams) whose parsed request waits for a host to be (re)started. */
  private readonly waiting = new Set<{ startWaiting(): void }>();
  /** --http2: the HTTP/2 sessions (src/http2/session.ts); undefined: HTTP/1.x only. */
  private readonly http2: Http2Sessions<ConnectionFacts> | undefined;
  private readonly hosts: HostKeeper;
  private readonly connectionOptions: ConnectionOptions;
  private readonly clientFacts: ClientFacts;
  private server: net.Server | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private shuttingDown = false;
  private access: AccessLogger | undefined;

  constructor(
    private readonly config: WorkerConfig,
    private readonly report: (message: FromWorker) => void,
  ) {
    setLogLevel(config.logLevel);
    this.hosts = new HostKeeper(
      {
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
        ...hostIds(config.privileges),
        ...hostTitle(config),
      },
      config.gracefulTimeoutMs,
      () => this.startWaiting(),
      (reason, attempt) => this.report({ type: 'host-failed', reason, attempt }),
    );
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
    };
    this.http2 = config.http2 === null ? undefined : new Http2Sessions<ConnectionFacts>(
      { ...this.connectionOptions, http2: config.http2 },
      {
        startExchange: (side, head, facts) => this.startExchange(side, head, facts),
        exchangeDone: (side, record) => this.exchangeDone(side, record),
        rejected: (socket, error) => log.info(`${this.clientFacts.clientAddress(socket)} HTTP/2 stream rejected with ${error.status}: ${error.code} (${error.detail})`),
        closed: () => this.connectionClosed(),
      },
    );
  }

  /** Open client connections: HTTP/1.x ones and HTTP/2 sessions. */
  private get openConnections(): number {
    return this.connections.size + (this.http2?.size ?? 0) + this.h2Pending.size;
  }

  /** Loads the application first, then listens: a broken app never binds the port. */
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
      const code = e.appLoad ? STARTUP_ERRORS.YW_APP_LOAD.code : STARTUP_ERRORS.YW_PYTHON.code;
      this.report({ type: 'fatal', code, message: e.message });
      return this.exit(e.appLoad ? EXIT.appLoad : EXIT.python);
    }
    const server = this.createServer();
    this.clientFacts.install(server); // the PROXY protocol pre-stage, before TLS and HTTP
    this.server = server;
    if (!this.config.listen) {
      // The supervisor binds; the TLS key has been read (createServer): nothing left that needs the ids we started with.
      dropPrivileges(this.config.privileges);
      this.report({ type: 'ready', port: 0, python: host.info.python, executable: host.info.executable, hostPid: host.info.pid });
      this.sweepTimer = setInterval(this.sweep, SWEEP_MS);
      return;
    }
    server.on('error', (err: NodeJS.ErrnoException) => {
      const where = `${this.config.bindHost}:${this.config.port}`;
      this.report({ type: 'fatal', code: STARTUP_ERRORS.YW_BIND.code, message: `cannot listen on ${where}: ${err.code ?? err.message}` });
      void this.hosts.stop().then(() => this.exit(EXIT.bind));
    });
    server.listen({ host: this.config.bindHost, port: this.config.port, backlog: this.config.backlog }, () => {
      dropPrivileges(this.config.privileges); // bound: the rest runs unprivileged
      const address = server.address() as net.AddressInfo;
      this.report({ type: 'ready', port: address.port, python: host.info.python, executable: host.info.executable, hostPid: host.info.pid });
    });
    this.sweepTimer = setInterval(this.sweep, SWEEP_MS);
  }

  private createServer(): net.Server {
    const tlsFiles = this.config.tls;
    // allowHalfOpen: a client that shuts down its sending side after the
    // request still gets the response (RFC 9112 9.6); Connection closes later.
    if (tlsFiles === null) {
      return net.createServer({ noDelay: true, allowHalfOpen: true }, (socket) => this.accept(socket, 'http'));
    }
    const server = tls.createServer(
      {
        cert: fs.readFileSync(tlsFiles.certPath),
        key: fs.readFileSync(tlsFiles.keyPath),
        allowHalfOpen: true,
        // --http2: ALPN offers h2 first; a client that names neither gets HTTP/1.1.
        ...(this.http2 !== undefined ? { ALPNProtocols: ['h2', 'http/1.1'] } : {}),
      },
      (socket) => this.accept(socket, 'https'),
    );
    server.on('tlsClientError', (err) => log.debug(`TLS handshake failed: ${err.message}`));
    return server;
  }

  /** A connection the supervisor accepted: handled as if our own server had. */
  adopt(socket: net.Socket): void {
    socket.once('close', () => this.report({ type: 'closed' }));
    if (this.server === undefined) return void socket.destroy();
    socket.allowHalfOpen = true; // as our own servers are created (see createServer)
    // net.Server and tls.Server both start a connection on this event (TLS wraps it).
    this.server.emit('connection', socket);
  }

  private accept(socket: net.Socket, scheme: 'http' | 'https'): void {
    if (this.shuttingDown || this.openConnections >= this.config.maxConnections) {
      if (!this.shuttingDown) log.warning(`${WORKER_ERRORS.YW_OVERLOADED.code}: ${this.openConnections} connections; answering 503`);
      socket.on('error', () => socket.destroy());
      socket.end(cannedResponse(503, true, SERVER_NAME));
      return;
    }
    const facts = this.clientFacts.facts(socket, scheme);
    const http1 = (): void => {
      const connection = new Connection(socket, this.connectionOptions, (conn, head) => this.startExchange(conn, head, facts), this.events);
      this.connections.add(connection);
    };
    const h2 = this.http2;
    if (h2 === undefined) return http1();
    // --http2: TLS chose by ALPN; plain TCP by the first bytes (the h2c preface, or not).
    if (socket instanceof tls.TLSSocket) return socket.alpnProtocol === 'h2' ? h2.accept(socket, facts) : http1();
    this.h2Pending.add(socket); // counted against --max-connections and drained while undecided
    sniffPreface(socket, this.config.idleTimeoutMs, (kind) => {
      this.h2Pending.delete(socket);
      if (kind === 'h2') return h2.accept(socket, facts);
      http1();
      socket.resume();
    });
    socket.once('close', () => this.h2Pending.delete(socket) && this.connectionClosed());
  }

  /** Plain-TCP sockets whose first bytes have not yet said HTTP/1.1 or HTTP/2. */
  private readonly h2Pending = new Set<net.Socket>();

  private startExchange(connection: Connection | StreamSide, head: RequestHead, facts: ConnectionFacts) {
    const host = this.hosts.current;
    if (host === undefined || !host.isAlive) {
      // Between a host's death (or recycling) and its replacement: the
      // request waits, bounded by the request timeout (then 503).
      this.waiting.add(connection);
      return undefined;
    }
    return new BridgeExchange(connection, host, head, facts, { requestWindow: REQUEST_WINDOW }, (h, stream) => this.hosts.recycle(h, stream));
  }

  private startWaiting(): void {
    const waiting = [...this.waiting];
    this.waiting.clear();
    for (const connection of waiting) connection.startWaiting();
  }

  private exchangeDone(source: Connection | StreamSide, record: ExchangeRecord): void {
    // Behind the PROXY protocol the client is the one its header names.
    const client = this.clientFacts.clientAddress(source.socket);
    const timeout = CLIENT_ERRORS[record.end];
    if (timeout !== undefined && enabled('INFO')) log.info(`${client} ${timeout.code}: ${timeout.message}`);
    this.access?.exchangeDone(source, record, client);
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
      this.connectionClosed();
    },
  };

  private readonly sweep = (): void => {
    const now = Date.now();
    for (const connection of this.connections) connection.check(now);
    this.http2?.check(now);
  };

  /** Graceful stop: no new connections, idle ones closed now, busy ones after their response. */
  shutdown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    if (this.config.listen) this.server?.close();
    for (const connection of this.connections) {
      if (connection.isIdle) connection.close();
      else connection.closeAfterResponse = true;
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
