// What a worker needs to run: the resolved configuration, reduced to plain
// data that crosses the supervisor -> worker IPC channel as JSON.
import type { LogLevel } from '../log/logger';
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
  readonly limits: ParserLimits;
  readonly idleTimeoutMs: number;
  readonly headerTimeoutMs: number;
  readonly bodyTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly gracefulTimeoutMs: number;
  readonly maxConnections: number;
}

/** Reserved worker exit codes: the supervisor stops instead of restarting (no crash loops). */
export const EXIT_APP_LOAD = 3;
export const EXIT_BIND = 4;
export const EXIT_PYTHON = 5;

/** Messages on the supervisor <-> worker IPC channel. */
export type ToWorker = { readonly type: 'config'; readonly config: WorkerConfig } | { readonly type: 'shutdown' };
export type FromWorker =
  | { readonly type: 'ready'; readonly port: number; readonly python: string; readonly executable: string; readonly hostPid: number }
  | { readonly type: 'fatal'; readonly code: string; readonly message: string };
