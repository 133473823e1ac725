// Flow control end to end (docs/protocol.md CREDIT and WINDOW): a slow
// reader of a 50 MB response and a 50 MB upload to a slow application keep
// the whole server tree's memory (supervisor, worker, Python host) flat,
// and every byte arrives intact.
import { after, before, test } from 'node:test';
import * as assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../support/server';
import { MiB, RssSampler, downloadAndVerify, processTree, sleep, treeRss, uploadPattern } from './live-helpers';

const LIMIT = 32 * MiB;
let server: RunningServer;
let root: number;

before(async () => {
  server = await startServer('bulk_app:app', { args: ['-t', '2'] });
  root = server.child.pid as number;
  // Warm up both directions at full speed before the baseline. The first
  // few MB through a fresh worker grow V8's young generation to its working
  // size (about +22 MiB of RSS, the same after 10 MB as after 200 MB); that
  // is the heap's sizing, not buffering, so it is kept out of the growth.
  const warm = await downloadAndVerify(server.port, 20);
  assert.equal(warm.problem, '');
  const up = await uploadPattern(server.port, 8, 'pause=0');
  assert.equal(up.answer.sha256, up.sha256);
  await sleep(300);
});
after(async () => {
  await server.stop();
});

const mb = (n: number): string => (n / MiB).toFixed(1) + ' MiB';

test('the server tree is a supervisor, a worker and a Python host', () => {
  assert.equal(processTree(root).length, 3, `tree: ${processTree(root).join(' ')}`);
});

test('a client reading a 50 MB response slowly, in bursts, gets it intact while the server tree grows by under 32 MB', async (t) => {
  const baseline = treeRss(root);
  const sampler = new RssSampler(root, 50);
  const result = await downloadAndVerify(server.port, 50, { burstBytes: 256 * 1024, pauseMs: 15, timeoutMs: 60_000 });
  const peak = sampler.stop();
  assert.equal(result.status, 200);
  assert.equal(result.problem, '', result.problem);
  assert.equal(result.bytes, 50 * MiB);
  assert.ok(result.ms > 1500, `the slow reader took only ${result.ms} ms: it was not slow`);
  t.diagnostic(`${result.ms} ms; RSS baseline ${mb(baseline)}, peak ${mb(peak)}, growth ${mb(peak - baseline)}`);
  assert.ok(peak - baseline < LIMIT, `RSS grew from ${mb(baseline)} to ${mb(peak)} (${sampler.samples} samples)`);
});

test('a 50 MB upload to an application that reads slowly arrives intact while the server tree grows by under 32 MB', async (t) => {
  const baseline = treeRss(root);
  const sampler = new RssSampler(root, 50);
  const result = await uploadPattern(server.port, 50, 'read=262144&pause=0.01');
  const peak = sampler.stop();
  assert.equal(result.problem, '');
  assert.equal(result.status, 200);
  assert.equal(result.answer.size, 50 * MiB);
  assert.equal(result.answer.sha256, result.sha256);
  assert.ok(result.ms > 1500, `the slow application took only ${result.ms} ms: it was not slow`);
  t.diagnostic(`${result.ms} ms; RSS baseline ${mb(baseline)}, peak ${mb(peak)}, growth ${mb(peak - baseline)}`);
  assert.ok(peak - baseline < LIMIT, `RSS grew from ${mb(baseline)} to ${mb(peak)} (${sampler.samples} samples)`);
});
