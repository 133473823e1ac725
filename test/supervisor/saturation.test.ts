// Which worker takes the backlog when every worker is saturated, and how many connections.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DRAIN_ALL, relief, type AcceptView } from '../../src/supervisor/saturation';

const w = (id: number, paused: boolean, busy: number, pausedAt = 0): AcceptView => ({ id, paused, busy, pausedAt });

test('no relief while any worker accepts, nor with no worker at all', () => {
  assert.equal(relief([], 2), undefined);
  assert.equal(relief([w(1, true, 9), w(2, false, 9)], 2), undefined);
  assert.equal(relief([w(1, false, 0)], 2), undefined);
});

test('every worker paused: the least loaded takes up to the difference to the next one', () => {
  assert.deepEqual(relief([w(1, true, 9), w(2, true, 4), w(3, true, 8)], 1), { id: 2, drain: 4 });
  assert.deepEqual(relief([w(1, true, 3), w(2, true, 10)], 2), { id: 1, drain: 7 });
});

test('close loads: a round of requests (the thread count) at a time, the worker paused longest first', () => {
  assert.deepEqual(relief([w(1, true, 2, 50), w(2, true, 2, 40)], 2), { id: 2, drain: 2 });
  assert.deepEqual(relief([w(1, true, 2, 30), w(2, true, 3, 40)], 4), { id: 1, drain: 4 });
});

test('eight 1 s requests on 2 x 2 threads (four waiting): handed over two and two, so two rounds', () => {
  let a = w(1, true, 2, 0);
  let b = w(2, true, 2, 1);
  let waiting = 4;
  for (let hop = 0; waiting > 0 && hop < 10; hop++) {
    const pick = relief([a, b], 2);
    assert.ok(pick !== undefined);
    const took = Math.min(waiting, pick.drain);
    waiting -= took;
    if (pick.id === 1) a = w(1, true, a.busy + took, 10 + hop);
    else b = w(2, true, b.busy + took, 10 + hop);
  }
  assert.deepEqual([a.busy, b.busy], [4, 4]);
});

test('a lone serving worker takes every connection waiting', () => {
  assert.deepEqual(relief([w(7, true, 12)], 4), { id: 7, drain: DRAIN_ALL });
});
