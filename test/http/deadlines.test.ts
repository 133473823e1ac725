// The deadline model (src/http/deadlines.ts): whom a connection waits on in
// each state, and the one bound of each wait.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { boundOf, currentWait, rearms, type DeadlineSettings, type WaitState } from '../../src/http/deadlines';

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
