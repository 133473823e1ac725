// Micro-benchmark of the worker's per-request stats (src/worker/stats.ts):
// nanoseconds per request for what worker.ts calls on every request (a
// request waiting for its host, then started on it, then done), with the
// stats kept (--metrics-bind) and not kept (no admin endpoint: every call
// returns at once). Run: node dist/bench/micro/worker-stats.bench.js  (about 1 s)
import type { Host } from '../../src/bridge/host';
import { WorkerStats, type ExchangeView } from '../../src/worker/stats';
import { measure } from './timing';
import { parseHead } from '../../test/support/request-heads';


function main(): void {
  const head = parseHead('GET / HTTP/1.1\r\nHost: 127.0.0.1:8081\r\n\r\n');
  // Only the host's pid is read per request (requestDone's per-host count).
  const exchange: ExchangeView = { host: { info: { pid: 1 } } as unknown as Host, stream: 1, hostWrote: 0 };
  const keys = Array.from({ length: 50 }, () => ({})); // 50 keep-alive connections
  for (const kept of [true, false]) {
    const stats = new WorkerStats(2, 1000, kept);
    let n = 0;
    measure(`WorkerStats per request, ${kept ? 'kept (--metrics-bind)' : 'not kept'}`, 1000, () => {
      for (let i = 0; i < 1000; i++) {
        const key = keys[n++ % 50] as object;
        stats.requestStarted(key, head, '127.0.0.1', undefined);
        stats.requestStarted(key, head, '127.0.0.1', exchange);
        stats.requestDone(key, { head, status: 200, bodyBytes: 2, durationMs: 0, end: 'complete' });
      }
      return n;
    }, 500, 'request');
  }
}

main();
