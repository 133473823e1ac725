// Which worker takes the backlog when every worker is saturated, and how many connections.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DRAIN_ALL, relief, type AcceptView } from '../../src/supervisor/saturation';

const w = (id: number, paused: boolean, busy: number, pausedAt = 0): AcceptView => ({ id, paused, busy, pausedAt });

test('no relief while any worker accepts, nor with no worker at all', () => {
  assert.equal(relief([]), undefined);
  assert.equal(relief([w(1, true, 9), w(2, false, 9)]), undefined);
  assert.equal(relief([w(1, false, 0)]), undefined);
});

test('every worker paused: the least loaded takes up to the difference to the next one', () => {
  assert.deepEqual(relief([w(1, true, 9), w(2, true, 4), w(3, true, 6)]), { id: 2, drain: 2 });
  assert.deepEqual(relief([w(1, true, 3), w(2, true, 10)]), { id: 1, drain: 7 });
});

test('equal loads: one connection each, the worker paused longest first', () => {
  assert.deepEqual(relief([w(1, true, 2, 50), w(2, true, 2, 40)]), { id: 2, drain: 1 });
  assert.deepEqual(relief([w(1, true, 2, 30), w(2, true, 2, 40)]), { id: 1, drain: 1 });
});

test('a lone serving worker takes every connection waiting', () => {
  assert.deepEqual(relief([w(7, true, 12)]), { id: 7, drain: DRAIN_ALL });
});
