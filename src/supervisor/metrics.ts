// The server's Prometheus metrics, aggregated in the supervisor from the
// workers' snapshots (src/worker/stats.ts), and written in the Prometheus
// text exposition format 0.0.4.
//
// Why no library: prom-client (the usual choice) keeps its own counters and
// aggregates cluster workers through the cluster module. Our workers send
// finished snapshots over our own IPC, so a library would only re-add
// numbers we already have, and its counters cannot be set to a total nor its
// histograms to given bucket counts. The format is small; the tests check
// our output with the official parser (python prometheus_client).
//
// Counters never go down: a worker that exits leaves its last snapshot's
// counts in `retired`, and a worker that does not answer a scrape in time
// counts with its last snapshot. (What a worker counted after the last
// scrape before it died is lost: at most one scrape interval.)
import { DURATION_BOUNDS, emptyHistogram, mergeHistograms } from '../ipc/histogram';
import {
  RESTART_REASONS, TIMEOUT_KINDS, type HistogramData, type RestartReason, type TimeoutKind, type WorkerSnapshot,
} from '../ipc/snapshot';

/** The counters of a snapshot, the part that outlives the worker. */
interface Counters {
  readonly requests: Map<string, number>;
  duration: HistogramData;
  queueWait: HistogramData;
  accepted: number;
  refused: number;
  bytesIn: number;
  bytesOut: number;
  readonly hostRestarts: Record<RestartReason, number>;
  readonly timeouts: Record<TimeoutKind, number>;
}

function zeroCounters(): Counters {
  return {
    requests: new Map(),
    duration: emptyHistogram(),
    queueWait: emptyHistogram(),
    accepted: 0,
    refused: 0,
    bytesIn: 0,
    bytesOut: 0,
    hostRestarts: { crash: 0, timeout: 0, recycle: 0, reload: 0 },
    timeouts: { idle: 0, header: 0, body: 0, request: 0, send: 0, host_wait: 0 },
  };
}

function addSnapshot(into: Counters, s: WorkerSnapshot): void {
  for (const r of s.requests) {
    const key = `${r.method} ${r.status}`;
    into.requests.set(key, (into.requests.get(key) ?? 0) + r.count);
  }
  into.duration = mergeHistograms(DURATION_BOUNDS, [into.duration, s.duration]);
  into.queueWait = mergeHistograms(DURATION_BOUNDS, [into.queueWait, s.queueWait]);
  into.accepted += s.connections.accepted;
  into.refused += s.connections.refused;
  into.bytesIn += s.bytesIn;
  into.bytesOut += s.bytesOut;
  for (const reason of RESTART_REASONS) into.hostRestarts[reason] += s.hostRestarts[reason] ?? 0;
  for (const kind of TIMEOUT_KINDS) into.timeouts[kind] += s.timeouts[kind] ?? 0;
}

export interface ProcessMemory {
  readonly kind: 'supervisor' | 'worker' | 'host';
  readonly pid: number;
  readonly bytes: number;
}

export class MetricsBook {
  /** The latest snapshot of each live worker, by pid. */
  private readonly latest = new Map<number, WorkerSnapshot>();
  private readonly retired = zeroCounters();
  private readonly workerRestarts: Record<RestartReason, number> = { crash: 0, timeout: 0, recycle: 0, reload: 0 };
  /** Reloads (SIGHUP, --reload) by outcome: `failed` when the new app did not load and the old code kept serving. */
  private readonly reloads = { ok: 0, failed: 0 };

  /** Keeps the snapshots that answered; the others stay at their last. */
  observe(snapshots: readonly WorkerSnapshot[]): void {
    for (const s of snapshots) this.latest.set(s.pid, s);
  }

  /** A worker exited: its counts stay in the totals. */
  workerGone(pid: number): void {
    const last = this.latest.get(pid);
    if (last === undefined) return;
    this.latest.delete(pid);
    addSnapshot(this.retired, last);
  }

  workerRestarted(reason: RestartReason): void {
    this.workerRestarts[reason]++;
  }

  reloaded(result: 'ok' | 'failed'): void {
    this.reloads[result]++;
  }

  /** The latest snapshots of the live workers (those that ever answered). */
  live(): WorkerSnapshot[] {
    return [...this.latest.values()];
  }

  render(memory: readonly ProcessMemory[]): string {
    const total = zeroCounters();
    addSnapshot(total, snapshotOfCounters(this.retired));
    const live = this.live();
    for (const s of live) addSnapshot(total, s);
    const sum = (f: (s: WorkerSnapshot) => number): number => live.reduce((n, s) => n + f(s), 0);
    const out = new Exposition();

    out.family('yimmo_requests_total', 'counter', 'Requests finished, by method and status class (requests refused before their head count as method "other").');
    for (const key of [...total.requests.keys()].sort()) {
      const [method, status] = key.split(' ') as [string, string];
      out.sample('yimmo_requests_total', { method, status }, total.requests.get(key) ?? 0);
    }
    out.histogram('yimmo_request_duration_seconds', 'Time from a complete request head to the end of its response.', total.duration);
    out.histogram('yimmo_queue_wait_seconds', 'Time a request waited in its Python host for a free application thread.', total.queueWait);
    out.gauge('yimmo_requests_in_flight', 'Requests whose head is complete and whose response is not finished.', sum((s) => s.inFlight.length));
    out.gauge('yimmo_requests_queued', 'Requests waiting in a Python host for a free application thread.', sum((s) => s.threads.queued));
    out.family('yimmo_app_threads', 'gauge', 'Application threads of the live Python hosts, busy (running a request) or idle.');
    const threads = sum((s) => s.threads.total);
    const busy = sum((s) => s.threads.busy);
    out.sample('yimmo_app_threads', { state: 'busy' }, busy);
    out.sample('yimmo_app_threads', { state: 'idle' }, Math.max(0, threads - busy));
    out.gauge('yimmo_connections_open', 'Client connections open now.', sum((s) => s.connections.open));
    out.counter('yimmo_connections_accepted_total', 'Client connections accepted.', total.accepted);
    out.counter('yimmo_connections_refused_total', 'Client connections refused with 503 (--max-connections reached, or draining).', total.refused);
    out.counter('yimmo_received_bytes_total', 'Bytes received from clients.', total.bytesIn);
    out.counter('yimmo_sent_bytes_total', 'Bytes sent to clients (including bodies the hosts wrote directly).', total.bytesOut);
    out.family('yimmo_worker_restarts_total', 'counter', 'Worker processes replaced, by reason.');
    for (const reason of RESTART_REASONS) out.sample('yimmo_worker_restarts_total', { reason }, this.workerRestarts[reason]);
    out.family('yimmo_host_restarts_total', 'counter', 'Python host processes replaced, by reason.');
    for (const reason of RESTART_REASONS) out.sample('yimmo_host_restarts_total', { reason }, total.hostRestarts[reason]);
    out.family('yimmo_reloads_total', 'counter', 'Reloads (SIGHUP, --reload) by result: failed when the new app did not load and the old code kept serving.');
    out.sample('yimmo_reloads_total', { result: 'ok' }, this.reloads.ok);
    out.sample('yimmo_reloads_total', { result: 'failed' }, this.reloads.failed);
    out.family('yimmo_timeouts_total', 'counter', 'Deadlines that passed, by kind (idle, header, body, request, send, host_wait).');
    for (const kind of TIMEOUT_KINDS) out.sample('yimmo_timeouts_total', { kind }, total.timeouts[kind]);
    out.family('yimmo_process_resident_memory_bytes', 'gauge', 'Resident memory (VmRSS) of each process of the server.');
    for (const m of memory) out.sample('yimmo_process_resident_memory_bytes', { kind: m.kind, pid: String(m.pid) }, m.bytes);
    return out.text();
  }
}

/** Counters as a snapshot-shaped value, so retired totals add like a worker's. */
function snapshotOfCounters(c: Counters): WorkerSnapshot {
  return {
    pid: 0,
    startedAt: 0,
    requests: [...c.requests].map(([key, count]) => {
      const [method, status] = key.split(' ') as [string, WorkerSnapshot['requests'][number]['status']];
      return { method, status, count };
    }),
    duration: c.duration,
    queueWait: c.queueWait,
    threads: { total: 0, busy: 0, queued: 0 },
    connections: { open: 0, accepted: c.accepted, refused: c.refused },
    bytesIn: c.bytesIn,
    bytesOut: c.bytesOut,
    hostRestarts: c.hostRestarts,
    timeouts: c.timeouts,
    hosts: [],
    inFlight: [],
    slow: [],
  };
}

/** Text exposition format 0.0.4: HELP and TYPE once per family, then its samples. */
class Exposition {
  private readonly lines: string[] = [];

  family(name: string, type: 'counter' | 'gauge' | 'histogram', help: string): void {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
  }

  sample(name: string, labels: Readonly<Record<string, string>>, value: number): void {
    const pairs = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
    this.lines.push(`${name}${pairs.length > 0 ? `{${pairs.join(',')}}` : ''} ${formatValue(value)}`);
  }

  counter(name: string, help: string, value: number): void {
    this.family(name, 'counter', help);
    this.sample(name, {}, value);
  }

  gauge(name: string, help: string, value: number): void {
    this.family(name, 'gauge', help);
    this.sample(name, {}, value);
  }

  histogram(name: string, help: string, h: HistogramData): void {
    this.family(name, 'histogram', help);
    let cumulative = 0;
    h.bounds.forEach((bound, i) => {
      cumulative += h.counts[i] ?? 0;
      this.sample(`${name}_bucket`, { le: String(bound) }, cumulative);
    });
    this.sample(`${name}_bucket`, { le: '+Inf' }, h.count);
    this.sample(`${name}_sum`, {}, h.sum);
    this.sample(`${name}_count`, {}, h.count);
  }

  text(): string {
    return this.lines.join('\n') + '\n';
  }
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
