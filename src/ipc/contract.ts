// The supervisor <-> worker contract, in one neutral module that both sides
// import: what a worker needs to run (the resolved configuration, reduced to
// plain data that crosses the IPC channel as JSON), the messages on that
// channel, and the process exit codes.
import type { LogLevel } from '../log/logger';
import type { LogFormat } from '../log/record';
import type { ParserLimits } from '../http/request-head';
import type { WorkerSnapshot } from './snapshot';
import type { Bind } from '../net/bind-spec';

/** What a worker knows of one listening socket: a Unix socket's peers have no address, and its path stands in for SERVER_NAME. */
/**
 * A listening socket as a worker needs to know it. `noDelay`: the sockets
 * accepted on it already have TCP_NODELAY (set on the listening socket, which
 * Linux's accepted sockets inherit, or by the dealer on each socket), so the
 * worker sets it on none (a system call per connection).
 */
export type ListenerInfo = { readonly kind: 'tcp'; readonly noDelay: boolean } | { readonly kind: 'unix'; readonly path: string };

export interface WorkerConfig {
  /** Every address, resolved (src/config/binds.ts); the supervisor binds them, workers only accept. */
  readonly binds: readonly Bind[];
  /** chmod of the Unix sockets the supervisor creates (--unix-socket-mode); null: the umask's. */
  readonly unixSocketMode: number | null;
  readonly backlog: number;
  readonly tls: { readonly certPath: string; readonly keyPath: string } | null;
  readonly python: string;
  readonly app: string;
  readonly processes: number;
  readonly threads: number;
  readonly logLevel: LogLevel;
  readonly logging: {
    readonly format: LogFormat;
    /** Absolute path; null: stderr. */
    readonly errorLog: string | null;
    /** Absolute path, '-' (stdout), or null: access lines go to the error log at INFO. */
    readonly accessLog: string | null;
    readonly accessLogFormat: string;
  };
  readonly limits: ParserLimits;
  readonly idleTimeoutMs: number;
  readonly headerTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly sendTimeoutMs: number;
  readonly hostStartTimeoutMs: number;
  readonly gracefulTimeoutMs: number;
  readonly maxConnections: number;
  /** Address list (src/net/address-set.ts) of peers whose X-Forwarded-* / Forwarded fields are believed. */
  readonly forwardedAllowIps: string;
  readonly remoteAddrFromForwarded: boolean;
  /** '' for none. */
  readonly rootPath: string;
  readonly proxyProtocol: boolean;
  readonly proxyAllowIps: string;
  /** --http2 and its limits (src/http2/session.ts); null: HTTP/1.x only. */
  readonly http2: { readonly maxConcurrentStreams: number; readonly maxSessionMemoryBytes: number } | null;
  /** The interpreter reads PYTHONEXECUTABLE (>= 3.11), so a host can carry a process title (src/worker/titles.ts). */
  readonly hostTitles: boolean;
  /** --user / --group resolved to ids: a worker switches once its app has loaded (it never binds: the supervisor does), and starts its hosts with them. */
  readonly privileges: { readonly uid: number | null; readonly gid: number | null; readonly groups: readonly number[] };
  /** Finished requests slower than this are kept for the status page (--slow-request). */
  readonly slowRequestMs: number;
  /**
   * The supervisor serves the admin endpoint (--metrics-bind), the only reader
   * of a worker's stats (src/worker/stats.ts). Without it the worker keeps no
   * per-request stats: nothing could ever ask for them.
   */
  readonly adminEndpoint: boolean;
  /** Host recycling (src/worker/recycle-policy.ts); 0 = off. */
  readonly recycle: {
    readonly maxRequests: number;
    readonly maxRequestsJitter: number;
    readonly maxRssBytes: number;
    readonly maxHostAgeMs: number;
    readonly maxHostAgeJitterMs: number;
  };
  /** --reload: the supervisor watches the app's files (src/supervisor/code-watcher.ts); hosts then report theirs. */
  readonly reload: { readonly enabled: boolean; readonly extraFiles: readonly string[] };
}

/**
 * Exit codes of the server, also used by workers: a worker that exits with
 * appLoad, bind or python makes the supervisor stop instead of restarting it
 * (restarting cannot help, and would loop). The Python host uses 3 for a
 * failed app load too (python/yimmo_host/main.py).
 */
export const EXIT = { ok: 0, config: 2, appLoad: 3, bind: 4, python: 5 } as const;

/**
 * The signals the supervisor handles (src/supervisor/signals.ts). They also
 * reach the workers when sent to the process group (Ctrl-C, `kill -HUP
 * -PGID`): a worker ignores them all but SIGTERM and waits for the
 * supervisor's word over IPC.
 */
export const SUPERVISOR_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR1', 'SIGUSR2', 'SIGTTIN', 'SIGTTOU', 'SIGWINCH'] as const;
export type SupervisorSignal = (typeof SUPERVISOR_SIGNALS)[number];

/**
 * Messages on the supervisor <-> worker IPC channel. A worker loads its app,
 * says `loaded`, and is then told how it gets connections: `listen` (sent with
 * the supervisor's listening handle, once per bind; the worker accepts on it
 * itself) or `dealt` (the fallback: the supervisor accepts and sends each
 * connection). It answers `serving` once it takes connections.
 */
export type ToWorker =
  /** `worker`: its number, for its process title and its host's (grows as workers are replaced). */
  | { readonly type: 'config'; readonly config: WorkerConfig; readonly worker: number }
  /**
   * Sent with a bound listening handle: accept on it. `bind` is the index in
   * the supervisor's list of binds, `of` their number. `balance`: stop
   * accepting while saturated, as other workers share the socket. `drain`:
   * 0 for an ordinary listen; n > 0 when the supervisor resumes this worker
   * although it is saturated (every worker was paused too long,
   * src/supervisor/saturation.ts): accept up to n connections, or every one
   * waiting if fewer, before pausing again.
   */
  | { readonly type: 'listen'; readonly bind: number; readonly of: number; readonly balance: boolean; readonly listener: ListenerInfo; readonly drain: number }
  /** The fallback: connections come one by one as `connection` messages; `listeners` by bind index. */
  | { readonly type: 'dealt'; readonly listeners: readonly ListenerInfo[] }
  /** Sent with a socket handle: a connection the supervisor accepted on bind `bind` for this worker. */
  | { readonly type: 'connection'; readonly bind: number }
  /** Whether other workers share the listening socket (processes changed: TTIN/TTOU/HUP). */
  | { readonly type: 'balance'; readonly balance: boolean }
  /**
   * Stop taking connections and exit once the ones in progress are answered.
   * `stop`: idle keep-alive connections close at once (the server stops);
   * `retire`: a successor serves, so every connection gets its next response
   * (with Connection: close) or its idle timeout, and no request races a close.
   */
  | { readonly type: 'shutdown'; readonly mode: 'stop' | 'retire' }
  /** SIGUSR1: reopen log files. */
  | { readonly type: 'reopen-logs' }
  /**
   * A reload that needs no new worker (src/supervisor/reload-scope.ts): swap
   * the Python host for one started with `config` (new code, host settings);
   * answered by `hosts-reloaded` with the same round.
   */
  | { readonly type: 'reload-hosts'; readonly round: number; readonly config: WorkerConfig }
  /** The supervisor wants a WorkerSnapshot (metrics, status page); `stackOf`: an in-flight request id whose Python stack to include. */
  | { readonly type: 'stats-request'; readonly id: number; readonly stackOf?: number };

export type FromWorker =
  /**
   * The host has loaded the app: ready to be told how to get connections.
   * `modules`: with --reload, the app's Python files the host had loaded.
   */
  | { readonly type: 'loaded'; readonly python: string; readonly executable: string; readonly hostPid: number; readonly modules: readonly string[] }
  /** Accepting (every `listen` handle listens) or taking dealt connections. */
  | { readonly type: 'serving' }
  /**
   * A worker stopped accepting because it is saturated, and has not asked
   * for the handles back within 50 ms (shorter pauses are not reported):
   * `busy` connections (requests in progress and fresh connections).
   * `quotaReached`: it stopped, at once, because it took a forced resume's
   * `drain` connections, so more may still wait in the backlog.
   */
  | { readonly type: 'paused'; readonly busy: number; readonly quotaReached: boolean }
  /** A worker that stopped accepting while saturated has room again: send the listening handles again. */
  | { readonly type: 'want-listen' }
  /** A dealt connection arrived: the supervisor closes its copy (it kept it in case this worker died first). */
  | { readonly type: 'adopted' }
  /** A connection dealt by the supervisor has closed. */
  | { readonly type: 'closed' }
  | { readonly type: 'fatal'; readonly code: string; readonly message: string }
  /**
   * A replacement Python host could not start (it failed to load the app, or
   * did not finish within the host start timeout); the worker retries with
   * backoff. `attempt` counts the failures since the last host that started.
   */
  | { readonly type: 'host-failed'; readonly reason: string; readonly attempt: number }
  /**
   * The answer to `reload-hosts` (the latest round the worker was asked):
   * `error` undefined, a new host serves (`modules`: its files, with
   * --reload); else why the new host did not start, and the old one serves.
   */
  | { readonly type: 'hosts-reloaded'; readonly round: number; readonly error?: string; readonly modules: readonly string[] }
  /** The answer to a 'stats-request' with the same id. */
  | { readonly type: 'stats'; readonly id: number; readonly snapshot: WorkerSnapshot };
