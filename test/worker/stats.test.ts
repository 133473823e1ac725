// The worker's stats (src/worker/stats.ts): kept for the admin endpoint, and
// not kept at all (no entry, no count) by a worker whose supervisor serves
// none (WorkerConfig.adminEndpoint false), since nothing could read them.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import type { ExchangeRecord } from '../../src/http/connection';
import { WorkerStats } from '../../src/worker/stats';
import { parseHead as head } from '../support/request-heads';


/** One request started on `key` (not yet done), one started and done on another key, one timeout. */
function feed(stats: WorkerStats): void {
  const a = head('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
  const b = head('POST /done HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n');
  stats.connectionAccepted();
  stats.connectionAccepted();
  stats.requestStarted({}, a, '10.0.0.1', undefined);
  const key = {};
  stats.requestStarted(key, b, '10.0.0.2', undefined);
  const record: ExchangeRecord = { head: b, status: 201, bodyBytes: 0, durationMs: 5, end: 'complete' };
  stats.requestDone(key, record);
  stats.timedOut('idle');
}

test('kept: the in-flight table, the counts and the timeouts are in the snapshot', async () => {
  const stats = new WorkerStats(2, 1000, true);
  feed(stats);
  const snapshot = await stats.snapshot([], undefined);
  assert.deepEqual(snapshot.inFlight.map((r) => [r.method, r.path, r.client]), [['GET', '/slow', '10.0.0.1']]);
  assert.deepEqual(snapshot.requests, [{ method: 'POST', status: '2xx', count: 1 }]);
  assert.equal(snapshot.duration.count, 1);
  assert.equal(snapshot.connections.accepted, 2);
  assert.equal(snapshot.timeouts.idle, 1);
});

test('not kept (no admin endpoint): no in-flight entry, no count, nothing for a snapshot', async () => {
  const stats = new WorkerStats(2, 1000, false);
  feed(stats);
  const snapshot = await stats.snapshot([], undefined);
  assert.deepEqual(snapshot.inFlight, []);
  assert.deepEqual(snapshot.requests, []);
  assert.equal(snapshot.duration.count, 0);
  assert.equal(snapshot.connections.accepted, 0);
  assert.equal(snapshot.timeouts.idle, 0);
});
