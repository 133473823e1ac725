// The supervisor's aggregation of worker snapshots (pure): histograms, totals
// that survive a worker's exit, and exposition text the official parser reads.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DURATION_BOUNDS, Histogram, emptyHistogram, mergeHistograms } from '../../src/ipc/histogram';
import type { WorkerSnapshot } from '../../src/ipc/snapshot';
import { MetricsBook } from '../../src/supervisor/metrics';
import { statusClass } from '../../src/worker/stats';
import { splitHostPort } from '../../src/config/values';
import { parseExposition, valueOf } from '../support/metrics';

function snapshot(pid: number, gets: number, durations: readonly number[]): WorkerSnapshot {
  const h = new Histogram();
  for (const d of durations) h.observe(d);
  return {
    pid,
    startedAt: 0,
    requests: [{ method: 'GET', status: '2xx', count: gets }],
    duration: h.data(),
    queueWait: emptyHistogram(),
    threads: { total: 2, busy: 1, queued: 0 },
    connections: { open: 1, accepted: gets, refused: 0 },
    bytesIn: 100 * gets,
    bytesOut: 200 * gets,
    hostRestarts: { crash: 1, timeout: 0, recycle: 0, reload: 0 },
    timeouts: { idle: 0, header: 0, body: 0, request: 0, send: 0, host_wait: 0 },
    hosts: [],
    inFlight: [],
    slow: [],
  };
}

test('a histogram counts each observation in the first bucket whose bound it does not exceed', () => {
  const h = new Histogram([0.1, 1]);
  for (const v of [0.05, 0.1, 0.5, 1, 3]) h.observe(v);
  assert.deepEqual(h.data(), { bounds: [0.1, 1], counts: [2, 2, 1], sum: 4.65, count: 5 });
});

test('merging histograms adds buckets; one with other bounds goes to +Inf, keeping sum and count', () => {
  const a = { bounds: [0.1, 1], counts: [1, 0, 2], sum: 7, count: 3 };
  const other = { bounds: [5], counts: [4, 0], sum: 1, count: 4 };
  assert.deepEqual(mergeHistograms([0.1, 1], [a, a, other]), { bounds: [0.1, 1], counts: [2, 0, 8], sum: 15, count: 10 });
});

test('status classes; no status at all is the server failing', () => {
  assert.deepEqual([0, 100, 204, 304, 404, 504].map(statusClass), ['5xx', '1xx', '2xx', '3xx', '4xx', '5xx']);
});

test('metrics addresses: HOST:PORT and [IPv6]:PORT only', () => {
  assert.deepEqual(splitHostPort('127.0.0.1:9091'), { host: '127.0.0.1', port: 9091 });
  assert.deepEqual(splitHostPort('[::1]:0'), { host: '::1', port: 0 });
  assert.deepEqual(splitHostPort('metrics.internal:80'), { host: 'metrics.internal', port: 80 });
  for (const bad of ['9091', ':9091', '::1:9091', '[127.0.0.1]:1', 'host:65536', 'host:', 'a_b:1', '[::1]']) {
    assert.equal(splitHostPort(bad), undefined, bad);
  }
});

test('the totals add up the workers and keep the counts of a worker that exited', async () => {
  const book = new MetricsBook();
  book.observe([snapshot(10, 3, [0.002, 0.2, 2]), snapshot(11, 2, [0.02, 20])]);
  let samples = await parseExposition(book.render([{ kind: 'worker', pid: 10, bytes: 5 }]));
  assert.equal(valueOf(samples, 'yimmo_requests_total', { method: 'GET', status: '2xx' }), 5);
  assert.equal(valueOf(samples, 'yimmo_request_duration_seconds_count'), 5);
  assert.equal(valueOf(samples, 'yimmo_request_duration_seconds_bucket', { le: '0.25' }), 3);
  assert.equal(valueOf(samples, 'yimmo_request_duration_seconds_bucket', { le: '+Inf' }), 5);
  assert.equal(valueOf(samples, 'yimmo_app_threads', { state: 'busy' }), 2);
  assert.equal(valueOf(samples, 'yimmo_host_restarts_total', { reason: 'crash' }), 2);
  assert.equal(valueOf(samples, 'yimmo_process_resident_memory_bytes', { kind: 'worker', pid: '10' }), 5);

  book.workerGone(11);
  book.workerRestarted('crash');
  book.observe([snapshot(12, 1, [0.5])]); // its replacement
  samples = await parseExposition(book.render([]));
  assert.equal(valueOf(samples, 'yimmo_requests_total', { method: 'GET', status: '2xx' }), 6);
  assert.equal(valueOf(samples, 'yimmo_request_duration_seconds_count'), 6);
  assert.equal(valueOf(samples, 'yimmo_received_bytes_total'), 600);
  assert.equal(valueOf(samples, 'yimmo_worker_restarts_total', { reason: 'crash' }), 1);
  assert.equal(valueOf(samples, 'yimmo_reloads_total', { result: 'ok' }), 0); // listed before any reload
  book.reloaded('ok');
  book.reloaded('failed');
  book.reloaded('ok');
  samples = await parseExposition(book.render([]));
  assert.equal(valueOf(samples, 'yimmo_reloads_total', { result: 'ok' }), 2);
  assert.equal(valueOf(samples, 'yimmo_reloads_total', { result: 'failed' }), 1);
  assert.equal(valueOf(samples, 'yimmo_app_threads', { state: 'idle' }), 2); // gauges: live workers only
  assert.equal(valueOf(samples, 'yimmo_connections_open'), 2);
  assert.equal(book.live().length, 2);
});

test('every histogram bucket line is cumulative and ends with +Inf equal to the count', async () => {
  const book = new MetricsBook();
  book.observe([snapshot(1, 4, [0.0001, 0.003, 0.003, 100])]);
  const samples = await parseExposition(book.render([]));
  const buckets = samples.filter((s) => s.name === 'yimmo_request_duration_seconds_bucket');
  assert.equal(buckets.length, DURATION_BOUNDS.length + 1);
  for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value);
  assert.equal(valueOf(samples, 'yimmo_request_duration_seconds_bucket', { le: '0.001' }), 1);
  assert.equal(valueOf(samples, 'yimmo_request_duration_seconds_bucket', { le: '60' }), 3);
  assert.equal(valueOf(samples, 'yimmo_request_duration_seconds_bucket', { le: '+Inf' }), 4);
});
