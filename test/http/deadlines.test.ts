// The deadline model (src/http/deadlines.ts): whom a connection waits on in
// each state, and the one bound of each wait.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { DeadlineClock, boundOf, currentWait, rearms, type DeadlineSettings, type WaitState } from '../../src/http/deadlines';

const IDLE: WaitState = {
  gone: false, closing: false, waitingForHost: false, exchange: false, unsent: false,
  hostWriting: false, wantBody: false, discarding: false, partialHead: false,
};
const at = (over: Partial<WaitState>): WaitState => ({ ...IDLE, ...over });

const SETTINGS: DeadlineSettings = {
  idleTimeoutMs: 1, headerTimeoutMs: 2, bodyTimeoutMs: 3, requestTimeoutMs: 4, sendTimeoutMs: 5, lingerMs: 6, hostStartTimeoutMs: 7,
};

test('a connection with nothing in progress waits on the client for its next request', () => {
  assert.equal(currentWait(IDLE), 'idle');
  assert.equal(currentWait(at({ partialHead: true })), 'head');
});

test('the body deadline runs only while we want body bytes; a closed window is the application\'s wait', () => {
  assert.equal(currentWait(at({ exchange: true, wantBody: true })), 'body');
  assert.equal(currentWait(at({ exchange: true, wantBody: false })), 'app');
});

test('bytes queued for the client make it the one we wait on, before the app, a direct write, the body or a close', () => {
  assert.equal(currentWait(at({ exchange: true, unsent: true })), 'send');
  assert.equal(currentWait(at({ exchange: true, unsent: true, hostWriting: true })), 'send');
  assert.equal(currentWait(at({ exchange: true, unsent: true, wantBody: true })), 'send');
  assert.equal(currentWait(at({ closing: true, unsent: true })), 'send');
  assert.equal(currentWait(at({ unsent: true, partialHead: true })), 'send');
});

test('a direct write in progress is the host\'s wait, bounded by the host itself', () => {
  assert.equal(currentWait(at({ exchange: true, hostWriting: true })), 'direct');
  assert.equal(boundOf('direct', SETTINGS), 0);
});

test('the unread body of an answered request is a body wait; a request without a host is a host wait', () => {
  assert.equal(currentWait(at({ discarding: true })), 'body');
  assert.equal(currentWait(at({ waitingForHost: true })), 'host');
});

test('a closing connection lingers, and a closed one waits on nobody', () => {
  assert.equal(currentWait(at({ closing: true, exchange: true })), 'linger');
  assert.equal(currentWait(at({ gone: true, closing: true, unsent: true })), 'none');
});

test('each wait has its own setting as its one bound', () => {
  assert.deepEqual(
    (['idle', 'head', 'body', 'app', 'host', 'send', 'linger', 'none'] as const).map((w) => boundOf(w, SETTINGS)),
    [1, 2, 3, 4, 4, 5, 6, 0],
  );
  assert.equal(boundOf('app', { ...SETTINGS, requestTimeoutMs: 0 }), 0, 'request timeout off: the app may take forever');
  assert.equal(boundOf('host', { ...SETTINGS, requestTimeoutMs: 0 }), 7, 'but a request never waits forever for a host');
});

test('progress re-arms only the wait it belongs to', () => {
  assert.ok(rearms('send', 'send'));
  assert.ok(rearms('app', 'app'));
  assert.ok(rearms('body', 'body'));
  assert.ok(!rearms('app', 'send'), 'a reading client does not excuse a stuck app');
  assert.ok(!rearms('head', 'body'));
  assert.ok(!rearms('send', 'app'), 'an app that writes more does not excuse a client that reads nothing');
});

/** A clock the test moves by hand, counting its readings. */
function manualClock(start: number): { now: number; reads: number; read: () => number } {
  const c = { now: start, reads: 0, read: () => (c.reads++, c.now) };
  return c;
}

const BOUNDS: DeadlineSettings = { ...SETTINGS, idleTimeoutMs: 100, requestTimeoutMs: 400, sendTimeoutMs: 50 };

test('a clock arms a fresh deadline for each new wait, and keeps it while the wait stays', () => {
  const t = manualClock(1000);
  const clock = new DeadlineClock(BOUNDS, 'idle', t.read);
  assert.equal(clock.wait, 'idle');
  assert.equal(clock.deadline, 1100);
  t.now = 1050;
  clock.update('idle', 0);
  assert.equal(clock.deadline, 1100, 'the same wait keeps its deadline');
  assert.ok(!clock.passed(1100));
  assert.ok(clock.passed(1101));
  clock.update('app', 0);
  assert.equal(clock.wait, 'app');
  assert.equal(clock.deadline, 1450);
  clock.update('head', 0, 2000);
  assert.equal(clock.deadline, 2002, 'the caller\'s reading is used when given');
});

test('a clock reads the time only when it arms', () => {
  const t = manualClock(0);
  const clock = new DeadlineClock(BOUNDS, 'idle', t.read);
  const after = t.reads;
  for (let i = 0; i < 5; i++) clock.update('idle', 0);
  clock.progress('app'); // not the current wait: nothing to re-arm
  assert.equal(t.reads, after);
  clock.update('app', 0);
  assert.equal(t.reads, after + 1);
});

test('progress re-arms the current wait only; a send wait re-arms when the client took bytes, not when more were queued', () => {
  const t = manualClock(0);
  const clock = new DeadlineClock(BOUNDS, 'app', t.read);
  t.now = 300;
  clock.progress('app');
  assert.equal(clock.deadline, 700);
  t.now = 350;
  clock.progress('send');
  assert.equal(clock.deadline, 700);
  clock.update('send', 1000);
  assert.equal(clock.deadline, 400);
  t.now = 380;
  clock.update('send', 2000); // more queued: the client took nothing
  assert.equal(clock.deadline, 400);
  clock.update('send', 1500); // it took bytes
  assert.equal(clock.deadline, 430);
});

test('a wait without a bound never passes; a stopped clock waits on nobody', () => {
  const clock = new DeadlineClock({ ...BOUNDS, requestTimeoutMs: 0 }, 'app', () => 5);
  assert.equal(clock.deadline, Infinity);
  assert.ok(!clock.passed(Number.MAX_SAFE_INTEGER));
  const idle = new DeadlineClock(BOUNDS, 'idle', () => 5);
  idle.stop();
  assert.equal(idle.wait, 'none');
  assert.ok(!idle.passed(1e15));
});
