// Which reloads swap the Python hosts under running workers, and which need new workers.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { reloadScope } from '../../src/supervisor/reload-scope';
import type { WorkerConfig } from '../../src/ipc/contract';

const base: WorkerConfig = {
  binds: [{ kind: 'tcp', host: '127.0.0.1', port: 8000 }], backlog: 2048, unixSocketMode: null, tls: null, python: '/usr/bin/python3', app: 'm:app',
  processes: 2, threads: 4, logLevel: 'INFO',
  logging: { format: 'text', errorLog: null, accessLog: null, accessLogFormat: '%(h)s' },
  limits: { maxRequestLine: 8190, maxHeaderBytes: 65536, maxHeaders: 100, maxBodyBytes: 1 << 30, maxChunkExtension: 4096 },
  idleTimeoutMs: 5000, headerTimeoutMs: 10000, bodyTimeoutMs: 10000, requestTimeoutMs: 60000, sendTimeoutMs: 60000,
  hostStartTimeoutMs: 60000, gracefulTimeoutMs: 30000, maxConnections: 1000, forwardedAllowIps: '127.0.0.1',
  remoteAddrFromForwarded: false, rootPath: '', proxyProtocol: false, proxyAllowIps: '', http2: null, hostTitles: true,
  privileges: { uid: null, gid: null, groups: [] }, slowRequestMs: 1000, adminEndpoint: false,
  recycle: { maxRequests: 0, maxRequestsJitter: 0, maxRssBytes: 0, maxHostAgeMs: 0, maxHostAgeJitterMs: 0 },
  reload: { enabled: false, extraFiles: [] },
};

test('the same configuration (new code only) swaps the hosts, nothing changed', () => {
  assert.deepEqual(reloadScope(base, structuredClone(base)), { kind: 'hosts', changed: [] });
});

test('the app, the interpreter, the log level, recycling and --reload are host-only', () => {
  const fresh: WorkerConfig = {
    ...base, app: 'other:app', python: '/opt/py/bin/python3', hostTitles: false, logLevel: 'DEBUG',
    recycle: { ...base.recycle, maxRequests: 50, maxRequestsJitter: 5 },
    reload: { enabled: true, extraFiles: ['/srv/a.html'] },
  };
  assert.deepEqual(reloadScope(base, fresh), { kind: 'hosts', changed: ['app', 'hostTitles', 'logLevel', 'python', 'recycle', 'reload'] });
});

test('a nested change is seen (recycle limits, log files, parser limits)', () => {
  assert.deepEqual(reloadScope(base, { ...base, recycle: { ...base.recycle, maxRssBytes: 1 } }).changed, ['recycle']);
  assert.deepEqual(reloadScope(base, { ...base, logging: { ...base.logging, accessLog: '-' } }), { kind: 'workers', changed: ['logging'] });
  assert.equal(reloadScope(base, { ...base, limits: { ...base.limits, maxHeaders: 10 } }).kind, 'workers');
});

test('settings of the worker itself roll the workers, even with host-only ones beside them', () => {
  for (const fresh of [
    { ...base, threads: 8 },
    { ...base, processes: 3 },
    { ...base, idleTimeoutMs: 1000 },
    { ...base, tls: { certPath: '/c', keyPath: '/k' } },
    { ...base, privileges: { uid: 1000, gid: 1000, groups: [] } },
    { ...base, slowRequestMs: 5 },
    { ...base, http2: { maxConcurrentStreams: 100, maxSessionMemoryBytes: 1 << 20 } },
    { ...base, app: 'other:app', gracefulTimeoutMs: 1 },
  ]) {
    assert.equal(reloadScope(base, fresh).kind, 'workers', JSON.stringify(reloadScope(base, fresh)));
  }
});

test('the addresses, backlog, socket mode and admin endpoint decide nothing (the supervisor keeps its sockets)', () => {
  const fresh: WorkerConfig = { ...base, binds: [{ kind: 'unix', path: '/run/a.sock' }], backlog: 10, unixSocketMode: 0o660, adminEndpoint: true };
  assert.deepEqual(reloadScope(base, fresh), { kind: 'hosts', changed: [] });
});

test('group order matters, key order does not', () => {
  const reordered = Object.fromEntries(Object.entries(base).reverse()) as unknown as WorkerConfig;
  assert.equal(reloadScope(base, reordered).kind, 'hosts');
  const a = { ...base, privileges: { uid: 1, gid: 1, groups: [1, 2] } };
  assert.equal(reloadScope(a, { ...a, privileges: { uid: 1, gid: 1, groups: [2, 1] } }).kind, 'workers');
});
