// The admin endpoint (--metrics-bind): Prometheus /metrics, the live status
// page /status and the JSON it polls, served by the supervisor with
// node:http. It never touches the application: a request here only asks the
// workers for snapshots. node:http is enough for an admin port (it answers a
// malformed request with 400 by itself); it has no authentication, so it
// must be bound to loopback or a private network (docs/operating.md).
import * as fs from 'node:fs';
import type * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { WorkerSnapshot } from '../ipc/snapshot';
import type { MetricsBook, ProcessMemory } from './metrics';
import { residentBytes } from '../proc-rss';

const PAGE_FILE = path.resolve(__dirname, '..', '..', '..', 'src', 'supervisor', 'status-page.html');
const SLOW_SHOWN = 50;

export interface AdminSource {
  /** Snapshots of the live workers that answered; `stack` asks one of them for a request's Python stack. */
  collect(stack?: { readonly pid: number; readonly id: number }): Promise<WorkerSnapshot[]>;
  readonly book: MetricsBook;
  readonly slowRequestMs: number;
}

export class AdminServer {
  private readonly server: http.Server;
  private readonly page: Buffer;
  private readonly startedAt = Date.now();

  constructor(private readonly source: AdminSource) {
    this.page = fs.readFileSync(PAGE_FILE);
    // Loaded here, not at the top: a supervisor without --metrics-bind never
    // loads node:http (about 1.4 MB of RSS, bench/results/profile.md).
    const { createServer } = require('node:http') as typeof http;
    this.server = createServer((req, res) => void this.route(req, res));
    // Nothing here is worth holding a connection for.
    this.server.keepAliveTimeout = 5000;
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 15_000;
  }

  /** Resolves with the bound address, rejects with the listen error (EADDRINUSE...). */
  listen(host: string, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ host, port }, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  close(): void {
    this.server.close();
    this.server.closeAllConnections();
  }

  private async route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return send(res, 405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', { Allow: 'GET, HEAD' });
    }
    const url = new URL(req.url ?? '/', 'http://admin');
    try {
      switch (url.pathname) {
        case '/metrics':
          return send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', await this.metrics());
        case '/status':
          return send(res, 200, 'text/html; charset=utf-8', this.page);
        case '/status.json':
          return send(res, 200, 'application/json', JSON.stringify(await this.status()));
        case '/status/stack': {
          const pid = Number(url.searchParams.get('worker'));
          const id = Number(url.searchParams.get('id'));
          if (!Number.isSafeInteger(pid) || !Number.isSafeInteger(id) || pid <= 0 || id <= 0) {
            return send(res, 400, 'text/plain; charset=utf-8', 'worker and id must be positive integers\n');
          }
          return send(res, 200, 'application/json', JSON.stringify(await this.stack(pid, id)));
        }
        default:
          return send(res, 404, 'text/plain; charset=utf-8', 'not found: /metrics, /status, /status.json\n');
      }
    } catch (err) {
      return send(res, 500, 'text/plain; charset=utf-8', `${(err as Error).message}\n`);
    }
  }

  private async fresh(stack?: { pid: number; id: number }): Promise<WorkerSnapshot[]> {
    const snapshots = await this.source.collect(stack);
    this.source.book.observe(snapshots);
    return snapshots;
  }

  private async metrics(): Promise<string> {
    await this.fresh();
    const memory: ProcessMemory[] = [];
    const add = (kind: ProcessMemory['kind'], pid: number): void => {
      const bytes = residentBytes(pid);
      if (bytes !== undefined) memory.push({ kind, pid, bytes });
    };
    add('supervisor', process.pid);
    for (const s of this.source.book.live()) {
      add('worker', s.pid);
      for (const h of s.hosts) add('host', h.pid);
    }
    return this.source.book.render(memory);
  }

  private async status(): Promise<object> {
    await this.fresh();
    const now = Date.now();
    const live = this.source.book.live();
    const workers = live.map((s) => ({
      pid: s.pid,
      ageMs: now - s.startedAt,
      rss: residentBytes(s.pid) ?? null,
      requests: s.requests.reduce((n, r) => n + r.count, 0),
      inFlight: s.inFlight.length,
      connections: s.connections.open,
      threads: s.threads,
      hosts: s.hosts.map((h) => ({ pid: h.pid, ageMs: now - h.startedAt, rss: residentBytes(h.pid) ?? null, requests: h.requests, current: h.current })),
    }));
    const inFlight = live
      .flatMap((s) => s.inFlight.map((r) => ({ worker: s.pid, ...r, ageMs: now - r.startedAt })))
      .sort((a, b) => b.ageMs - a.ageMs);
    const slow = live
      .flatMap((s) => s.slow.map((r) => ({ worker: s.pid, ...r })))
      .sort((a, b) => b.endedAt - a.endedAt)
      .slice(0, SLOW_SHOWN);
    return {
      now,
      slowRequestMs: this.source.slowRequestMs,
      supervisor: { pid: process.pid, ageMs: now - this.startedAt, rss: residentBytes(process.pid) ?? null },
      workers,
      inFlight,
      slow,
    };
  }

  private async stack(pid: number, id: number): Promise<object> {
    const snapshots = await this.fresh({ pid, id });
    const answer = snapshots.find((s) => s.pid === pid)?.stack;
    if (answer === undefined) return { worker: pid, id, text: null, note: 'no such worker, or it did not answer in time' };
    return { worker: pid, ...answer };
  }
}

function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body), ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}
