// The one module that uses Node's internal net._createServerHandle: bound
// handles, bind errors reported before any worker listens, and the
// capability check that sends the supervisor to the fallback.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as net from 'node:net';
import { spawnSync } from 'node:child_process';
import { PYTHON } from '../support/server';
import { BindError, SharedUnavailable, createServerHandleOf, openSharedListeners } from '../../src/supervisor/listen-handle';

test('a TCP bind on port 0 gives a handle and the port the kernel chose', async () => {
  const [listener] = await openSharedListeners([{ kind: 'tcp', host: '127.0.0.1', port: 0 }]);
  assert.ok(listener);
  assert.ok(listener.port > 0);
  listener.handle.close();
});

test('on Linux a TCP listening socket has TCP_NODELAY, and the sockets accepted on it inherit it (workers set it on none)', { skip: process.platform !== 'linux' }, async () => {
  const [listener] = await openSharedListeners([{ kind: 'tcp', host: '127.0.0.1', port: 0 }]);
  assert.ok(listener);
  try {
    assert.deepEqual(listener.info, { kind: 'tcp', noDelay: true });
    const fd = (listener.handle as unknown as { fd: number }).fd;
    assert.ok(fd > 0);
    // Python reads the options of the very socket (our descriptor as its fd 3) and of one accepted on it.
    const script = [
      'import socket',
      'l = socket.socket(fileno=3); l.listen()',
      'c = socket.create_connection(l.getsockname()); a, _ = l.accept()',
      'print(l.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY), a.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))',
    ].join('\n');
    const run = spawnSync(PYTHON, ['-c', script], { stdio: ['ignore', 'pipe', 'pipe', fd], encoding: 'utf8', timeout: 10_000 });
    assert.equal(run.stderr, '');
    assert.equal(run.stdout.trim(), '1 1');
  } finally {
    listener.handle.close();
  }
});

test('a host name is resolved before binding', async () => {
  const [listener] = await openSharedListeners([{ kind: 'tcp', host: 'localhost', port: 0 }]);
  assert.ok(listener && listener.port > 0);
  listener.handle.close();
});

test('a port in use is a BindError naming EADDRINUSE (libuv defers it; we still see it before listening)', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  try {
    await assert.rejects(openSharedListeners([{ kind: 'tcp', host: '127.0.0.1', port }]), (err: unknown) => err instanceof BindError && err.code === 'EADDRINUSE' && err.message.includes(String(port)));
  } finally {
    blocker.close();
  }
});

test('an address not on this machine is a BindError', async () => {
  await assert.rejects(openSharedListeners([{ kind: 'tcp', host: '192.0.2.1', port: 0 }]), (err: unknown) => err instanceof BindError && err.code === 'EADDRNOTAVAIL');
});

test('without the internal API the caller is told to fall back', async () => {
  assert.equal(createServerHandleOf({}), undefined);
  assert.equal(typeof createServerHandleOf(), 'function', 'this Node has net._createServerHandle');
  await assert.rejects(openSharedListeners([{ kind: 'tcp', host: '127.0.0.1', port: 0 }], {}), SharedUnavailable);
  await assert.rejects(openSharedListeners([{ kind: 'tcp', host: '127.0.0.1', port: 0 }], { _createServerHandle: () => ({}) }), SharedUnavailable);
});

test('handles bound before a failing bind are closed', async () => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as net.AddressInfo).port;
  let closed = 0;
  const real = createServerHandleOf();
  assert.ok(real);
  const counting = (address: string, p: number, family: number): unknown => {
    const h = real(address, p, family) as { close(): void };
    if (typeof h === 'object') {
      const close = h.close.bind(h);
      h.close = () => {
        closed++;
        close();
      };
    }
    return h;
  };
  try {
    await assert.rejects(openSharedListeners([{ kind: 'tcp', host: '127.0.0.1', port: 0 }, { kind: 'tcp', host: '127.0.0.1', port }], { _createServerHandle: counting }), BindError);
    assert.equal(closed, 2, 'the first handle and the failed one');
  } finally {
    blocker.close();
  }
});
