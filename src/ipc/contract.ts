// The supervisor <-> worker contract, in one neutral module that both sides
// import: what a worker needs to run (the resolved configuration, reduced to
// plain data that crosses the IPC channel as JSON), the messages on that
// channel, and the process exit codes.
import type { LogLevel } from '../log/logger';
import type { LogFormat } from '../log/record';
import type { ParserLimits } from '../http/request-head';

export interface WorkerConfig {
  readonly bindHost: string;
  readonly port: number;
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
  /** --user / --group resolved to ids: a worker switches after listening, and starts its hosts with them. */
  readonly privileges: { readonly uid: number | null; readonly gid: number | null; readonly groups: readonly number[] };
  /**
   * Whether the worker listens itself (one worker) or receives connections
   * from the supervisor, which deals them to the least busy worker.
   */
  readonly listen: boolean;
}

/**
 * Exit codes of the server, also used by workers: a worker that exits with
 * appLoad, bind or python makes the supervisor stop instead of restarting it
 * (restarting cannot help, and would loop). The Python host uses 3 for a
 * failed app load too (python/yimmo_host/main.py).
 */
export const EXIT = { ok: 0, config: 2, appLoad: 3, bind: 4, python: 5 } as const;

/** Messages on the supervisor <-> worker IPC channel. */
export type ToWorker =
  | { readonly type: 'config'; readonly config: WorkerConfig }
  | { readonly type: 'shutdown' }
  /** Sent with a socket handle: a connection the supervisor accepted for this worker. */
  | { readonly type: 'connection' };
export type FromWorker =
  /** The host is loaded and, if the worker listens itself, it listens on `port` (0 otherwise). */
  | { readonly type: 'ready'; readonly port: number; readonly python: string; readonly executable: string; readonly hostPid: number }
  /** A connection dealt by the supervisor has closed. */
  | { readonly type: 'closed' }
  | { readonly type: 'fatal'; readonly code: string; readonly message: string }
  /**
   * A replacement Python host could not start (it failed to load the app, or
   * did not finish within the host start timeout); the worker retries with
   * backoff. `attempt` counts the failures since the last host that started.
   */
  | { readonly type: 'host-failed'; readonly reason: string; readonly attempt: number };
