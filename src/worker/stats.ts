// The worker's counters and its table of requests in flight, for the
// supervisor's /metrics and /status (src/supervisor/admin-server.ts). Fed by
// a few calls from worker.ts and host-keeper.ts; answers a snapshot request.
// Counting is a few additions per request: the expensive part (asking the
// hosts what their threads do) happens only when a snapshot is asked for.
// Without the admin endpoint (no --metrics-bind) nothing ever asks, so the
// per-request and per-connection calls return at once: no entry, no Map
// update, no clock read. Nothing else reads these numbers (--max-requests,
// the access log, the deadlines and draining keep their own).
import type { Socket } from 'node:net';
import type { Host } from '../bridge/host';
import { queryHostStatus } from '../bridge/host-status';
import type { HostStatusReport } from '../bridge/protocol';
import type { ExchangeRecord } from '../http/connection';
import type { Wait } from '../http/deadlines';
import type { RequestHead } from '../http/request-head';
import { Histogram, emptyHistogram, mergeHistograms } from '../ipc/histogram';
import type {
  HistogramData, HostRestartReason, InFlightRequest, SlowRequest, StatusClass, TimeoutKind, WorkerSnapshot,
} from '../ipc/snapshot';

/** Methods counted by name; any other is "other", so a client cannot blow up the label set. */
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'CONNECT', 'TRACE']);
const SLOW_KEPT = 20;
/** The metric's kind for each wait whose bound can pass. */
const TIMEOUT_OF: Partial<Record<Wait, TimeoutKind>> = {
  idle: 'idle', head: 'header', body: 'body', app: 'request', send: 'send', host: 'host_wait',
};
/** How long a snapshot waits for a host's STATUS_REPLY: a host whose GIL is held by a C call may be late. */
const HOST_QUERY_MS = 500;

/** What the stats need to know of an exchange (BridgeExchange). */
export interface ExchangeView {
  readonly host: Host;
  readonly stream: number;
  /** Response bytes the host wrote to the client itself (a direct write). */
  readonly hostWrote: number;
}

interface Entry {
  readonly id: number;
  readonly head: RequestHead;
  readonly client: string;
  readonly startedAt: number;
  exchange: ExchangeView | undefined;
}

interface HostEntry {
  readonly host: Host;
  readonly startedAt: number;
  requests: number;
  lastWait: HistogramData | undefined;
}

const STATUS_CLASSES: readonly StatusClass[] = ['1xx', '2xx', '3xx', '4xx', '5xx'];

export function statusClass(status: number): StatusClass {
  if (status < 100) return '5xx'; // no status was sent: the server could not answer
  if (status < 200) return '1xx';
  if (status < 300) return '2xx';
  if (status < 400) return '3xx';
  if (status < 500) return '4xx';
  return '5xx';
}

export class WorkerStats {
  private readonly startedAt = Date.now();
  /** Requests answered, by method (a KNOWN_METHODS name or "other"), then by status class (STATUS_CLASSES order). */
  private readonly requests = new Map<string, number[]>();
  private readonly duration = new Histogram();
  private readonly inFlight = new Map<object, Entry>();
  private readonly slow: SlowRequest[] = [];
  private readonly hosts = new Map<number, HostEntry>();
  /** Queue-wait counts of hosts that have exited (their last report), so the totals never go down. */
  private retiredWait: HistogramData | undefined;
  private nextId = 1;
  private accepted = 0;
  private refused = 0;
  private closedBytesIn = 0;
  private closedBytesOut = 0;
  private readonly hostRestarts: Record<HostRestartReason, number> = { crash: 0, timeout: 0, recycle: 0, reload: 0 };
  private readonly timeouts: Record<TimeoutKind, number> = { idle: 0, header: 0, body: 0, request: 0, send: 0, host_wait: 0 };

  constructor(
    private readonly threadsPerHost: number,
    private readonly slowMs: number,
    /** Whether anything can ask for a snapshot (WorkerConfig.adminEndpoint); false: keep nothing. */
    readonly kept: boolean,
  ) {}

  connectionAccepted(): void {
    if (this.kept) this.accepted++;
  }

  connectionRefused(): void {
    if (this.kept) this.refused++;
  }

  connectionClosed(key: object, socket: Socket): void {
    if (!this.kept) return;
    this.closedBytesIn += socket.bytesRead;
    this.closedBytesOut += socket.bytesWritten;
    this.forget(key);
  }

  /** A request head is complete; `exchange` is undefined while it waits for a host. Called again once it gets one. */
  requestStarted(key: object, head: RequestHead, client: string, exchange: ExchangeView | undefined): void {
    if (!this.kept) return;
    const known = this.inFlight.get(key);
    if (known !== undefined && known.head === head) {
      known.exchange = exchange;
      return;
    }
    this.inFlight.set(key, { id: this.nextId++, head, client, startedAt: Date.now(), exchange });
  }

  /**
   * An exchange ended (connection.ts's exchangeDone: once per request, cut,
   * refused or timed out ones included). One that sent no status line (the
   * client left first) is not a request answered; one refused before its
   * head was complete counts under the method "other".
   */
  requestDone(key: object, record: ExchangeRecord): void {
    if (!this.kept) return;
    const { head, status, durationMs } = record;
    if (status !== 0) {
      this.count(head?.method ?? 'other', status);
      this.duration.observe(durationMs / 1000);
    }
    const entry = this.inFlight.get(key);
    if (entry !== undefined && entry.head === head) {
      if (entry.exchange !== undefined) {
        const host = this.hosts.get(entry.exchange.host.info.pid);
        if (host !== undefined) host.requests++;
      }
      this.forget(key);
    }
    if (head !== undefined && durationMs >= this.slowMs) {
      if (this.slow.length >= SLOW_KEPT) this.slow.shift();
      this.slow.push({ method: head.method, path: head.target, client: entry?.client ?? '', status, durationMs, endedAt: Date.now() });
    }
  }

  /** A connection's wait passed its bound (src/http/deadlines.ts; a lingering close is no timeout worth counting). */
  timedOut(wait: Wait): void {
    if (!this.kept) return;
    const kind = TIMEOUT_OF[wait];
    if (kind !== undefined) this.timeouts[kind]++;
  }

  hostReady(host: Host): void {
    if (!this.kept) return;
    const entry: HostEntry = { host, startedAt: Date.now(), requests: 0, lastWait: undefined };
    this.hosts.set(host.info.pid, entry);
    host.onExit(() => {
      this.hosts.delete(host.info.pid);
      if (entry.lastWait !== undefined) {
        const parts = this.retiredWait === undefined ? [entry.lastWait] : [this.retiredWait, entry.lastWait];
        this.retiredWait = mergeHistograms(entry.lastWait.bounds, parts);
      }
    });
  }

  hostReplaced(reason: HostRestartReason): void {
    if (!this.kept) return;
    this.hostRestarts[reason]++;
  }

  // Two lookups and an increment per request: no label string is built
  // until a snapshot asks (this runs for every request, snapshots rarely).
  private count(method: string, status: number): void {
    let counts = this.requests.get(method);
    if (counts === undefined) {
      const name = KNOWN_METHODS.has(method) ? method : 'other';
      counts = this.requests.get(name);
      if (counts === undefined) {
        counts = [0, 0, 0, 0, 0];
        this.requests.set(name, counts);
      }
    }
    const i = STATUS_CLASSES.indexOf(statusClass(status));
    counts[i] = (counts[i] as number) + 1; // statusClass always names one of STATUS_CLASSES
  }

  private forget(key: object): void {
    const entry = this.inFlight.get(key);
    if (entry === undefined) return;
    this.inFlight.delete(key);
    this.closedBytesOut += entry.exchange?.hostWrote ?? 0;
  }

  /**
   * Everything the supervisor shows. Asks every live host for its threads
   * (one STATUS frame each, answered by the host's reader thread); with
   * `stackOf`, the host running that in-flight request also sends its stack.
   */
  async snapshot(sockets: Iterable<Socket>, current: Host | undefined, stackOf?: number): Promise<WorkerSnapshot> {
    const target = stackOf === undefined ? undefined : [...this.inFlight.values()].find((e) => e.id === stackOf);
    const hosts = [...this.hosts.values()].filter((h) => h.host.isAlive);
    const reports = await Promise.all(
      hosts.map((h) => {
        const wanted = target?.exchange?.host === h.host ? target.exchange.stream : 0;
        return queryHostStatus(h.host, wanted, HOST_QUERY_MS);
      }),
    );
    const byHost = new Map<Host, HostStatusReport>();
    hosts.forEach((h, i) => {
      const report = reports[i];
      if (report === undefined) return;
      byHost.set(h.host, report);
      h.lastWait = report.wait;
    });

    let bytesIn = this.closedBytesIn;
    let bytesOut = this.closedBytesOut;
    let open = 0;
    for (const socket of sockets) {
      open++;
      bytesIn += socket.bytesRead;
      bytesOut += socket.bytesWritten;
    }
    const inFlight: InFlightRequest[] = [];
    for (const e of this.inFlight.values()) {
      bytesOut += e.exchange?.hostWrote ?? 0;
      const report = e.exchange === undefined ? undefined : byHost.get(e.exchange.host);
      inFlight.push({
        id: e.id,
        method: e.head.method,
        path: e.head.target,
        client: e.client,
        startedAt: e.startedAt,
        hostPid: e.exchange?.host.info.pid ?? 0,
        thread: (e.exchange === undefined ? undefined : report?.streams[String(e.exchange.stream)]) ?? null,
      });
    }

    const waits = [...hosts.flatMap((h) => (h.lastWait === undefined ? [] : [h.lastWait])), ...(this.retiredWait ? [this.retiredWait] : [])];
    const bounds = waits[0]?.bounds ?? emptyHistogram().bounds;
    let busy = 0;
    let queued = 0;
    for (const report of byHost.values()) {
      busy += report.busy;
      queued += report.queued;
    }
    const snapshot: WorkerSnapshot = {
      pid: process.pid,
      startedAt: this.startedAt,
      requests: [...this.requests].flatMap(([method, counts]) =>
        STATUS_CLASSES.flatMap((status, i) => (counts[i] === 0 ? [] : [{ method, status, count: counts[i] as number }])),
      ),
      duration: this.duration.data(),
      queueWait: mergeHistograms(bounds, waits),
      threads: { total: hosts.length * this.threadsPerHost, busy, queued },
      connections: { open, accepted: this.accepted, refused: this.refused },
      bytesIn,
      bytesOut,
      hostRestarts: { ...this.hostRestarts },
      timeouts: { ...this.timeouts },
      hosts: hosts.map((h) => ({ pid: h.host.info.pid, startedAt: h.startedAt, requests: h.requests, current: h.host === current })),
      inFlight,
      slow: [...this.slow],
    };
    if (stackOf === undefined) return snapshot;
    return { ...snapshot, stack: this.stackAnswer(stackOf, target, target?.exchange ? byHost.get(target.exchange.host) : undefined) };
  }

  private stackAnswer(id: number, target: Entry | undefined, report: HostStatusReport | undefined): NonNullable<WorkerSnapshot['stack']> {
    if (target === undefined) return { id, text: null, note: 'the request is no longer in flight' };
    if (target.exchange === undefined) return { id, text: null, note: 'the request is waiting for a Python host' };
    if (report === undefined) return { id, text: null, note: 'the Python host did not answer in time' };
    if (report.stack === null) return { id, text: null, note: 'the request is not running in an application thread (queued, or finished)' };
    return { id, text: report.stack };
  }
}
