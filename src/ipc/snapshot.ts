// What a worker tells the supervisor about itself when asked ({type:
// 'stats-request'}): counters since the worker started, gauges now, the
// requests in flight and the recent slow ones. Plain data: it crosses the IPC
// channel as JSON. The supervisor aggregates these (src/supervisor/metrics.ts).

/** A histogram as counts per bucket: counts[i] observations <= bounds[i] and > bounds[i-1]; the last is +Inf. */
export interface HistogramData {
  readonly bounds: readonly number[];
  readonly counts: readonly number[];
  readonly sum: number;
  readonly count: number;
}

export type StatusClass = '1xx' | '2xx' | '3xx' | '4xx' | '5xx';
/** Why a process was replaced: it died, a request on it timed out, it served its quota, or the operator asked (SIGHUP). */
export type RestartReason = 'crash' | 'timeout' | 'recycle' | 'reload';
export const RESTART_REASONS: readonly RestartReason[] = ['crash', 'timeout', 'recycle', 'reload'];
export type HostRestartReason = RestartReason;
export type TimeoutKind = 'idle' | 'header' | 'body' | 'request' | 'send' | 'host_wait';
export const TIMEOUT_KINDS: readonly TimeoutKind[] = ['idle', 'header', 'body', 'request', 'send', 'host_wait'];

export interface InFlightRequest {
  /** Unique within the worker: the status page asks for a stack by it. */
  readonly id: number;
  readonly method: string;
  readonly path: string;
  readonly client: string;
  /** Epoch ms when the request head was complete. */
  readonly startedAt: number;
  /** The host running it; 0 while it waits for a host. */
  readonly hostPid: number;
  /** Name of the Python thread running it; null while queued for a thread or not known. */
  readonly thread: string | null;
}

export interface SlowRequest {
  readonly method: string;
  readonly path: string;
  readonly client: string;
  readonly status: number;
  readonly durationMs: number;
  readonly endedAt: number;
}

export interface HostSnapshot {
  readonly pid: number;
  readonly startedAt: number;
  /** Requests this host finished. */
  readonly requests: number;
  /** false: retiring after a request timeout, finishing its other requests. */
  readonly current: boolean;
}

export interface WorkerSnapshot {
  readonly pid: number;
  readonly startedAt: number;
  /** Requests finished, by method (GET..., or "other") and status class. */
  readonly requests: ReadonlyArray<{ readonly method: string; readonly status: StatusClass; readonly count: number }>;
  /** Seconds from a complete request head to the end of the response. */
  readonly duration: HistogramData;
  /** Seconds a request waited in its host for a free application thread (summed over this worker's hosts). */
  readonly queueWait: HistogramData;
  readonly threads: { readonly total: number; readonly busy: number; readonly queued: number };
  readonly connections: { readonly open: number; readonly accepted: number; readonly refused: number };
  readonly bytesIn: number;
  readonly bytesOut: number;
  readonly hostRestarts: Readonly<Record<HostRestartReason, number>>;
  readonly timeouts: Readonly<Record<TimeoutKind, number>>;
  readonly hosts: readonly HostSnapshot[];
  readonly inFlight: readonly InFlightRequest[];
  readonly slow: readonly SlowRequest[];
  /** The Python stack asked for with `stackOf`, or why there is none. */
  readonly stack?: { readonly id: number; readonly text: string | null; readonly note?: string };
}
