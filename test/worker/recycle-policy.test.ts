// When a host is due for recycling, and how the jitter spreads the limits.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { drawBudget, recycleDue, recycles } from '../../src/worker/recycle-policy';
import { parseVmRss } from '../../src/proc-rss';

const OFF = { maxRequests: 0, maxRequestsJitter: 0, maxRssBytes: 0, maxHostAgeMs: 0, maxHostAgeJitterMs: 0 };

test('no limit: never due, whatever the usage', () => {
  const budget = drawBudget(OFF);
  assert.equal(recycles(OFF), false);
  assert.equal(recycleDue(budget, { requests: 1e9, ageMs: 1e12, rssBytes: 1e15 }), undefined);
});

test('the jitter adds 0..J, inclusive, drawn per host', () => {
  const limits = { ...OFF, maxRequests: 50, maxRequestsJitter: 10, maxHostAgeMs: 1000, maxHostAgeJitterMs: 500 };
  assert.equal(drawBudget(limits, () => 0).requests, 50);
  assert.equal(drawBudget(limits, () => 0.999999).requests, 60);
  assert.equal(drawBudget(limits, () => 0.5).ageMs, 1250);
  const seen = new Set<number>();
  for (let i = 0; i < 2000; i++) seen.add(drawBudget(limits).requests);
  assert.deepEqual([...seen].sort((a, b) => a - b), [50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60]);
});

test('due at the request limit, not one before', () => {
  const budget = drawBudget({ ...OFF, maxRequests: 50 });
  assert.equal(recycleDue(budget, { requests: 49, ageMs: 0, rssBytes: undefined }), undefined);
  assert.match(recycleDue(budget, { requests: 50, ageMs: 0, rssBytes: undefined }) ?? '', /50 requests \(--max-requests\)/);
});

test('due at the age limit; memory only above the limit and only once sampled', () => {
  const budget = drawBudget({ ...OFF, maxHostAgeMs: 60_000, maxRssBytes: 100 * 1024 * 1024 });
  assert.equal(recycleDue(budget, { requests: 0, ageMs: 59_999, rssBytes: 100 * 1024 * 1024 }), undefined);
  assert.match(recycleDue(budget, { requests: 0, ageMs: 60_000, rssBytes: undefined }) ?? '', /--max-host-age/);
  assert.equal(recycleDue(budget, { requests: 0, ageMs: 0, rssBytes: undefined }), undefined);
  assert.match(recycleDue(budget, { requests: 0, ageMs: 0, rssBytes: 100 * 1024 * 1024 + 1 }) ?? '', /resident memory 100 MiB \(--max-rss\)/);
});

test('VmRSS is read in KiB from /proc/PID/status', () => {
  assert.equal(parseVmRss('Name:\tpython3\nVmPeak:\t  30000 kB\nVmRSS:\t   12345 kB\nRssAnon:\t 1 kB\n'), 12345 * 1024);
  assert.equal(parseVmRss('Name:\tkthreadd\n'), undefined);
});
