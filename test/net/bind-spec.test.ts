// The --bind forms and systemd's LISTEN_* variables, parsed (pure).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import { parseBind, showBind, type BindText } from '../../src/net/bind-spec';
import { inheritedSockets } from '../../src/net/socket-activation';

const ok = (text: string): BindText => {
  const parsed = parseBind(text);
  assert.ok('bind' in parsed, `${text}: ${'error' in parsed ? parsed.error : ''}`);
  return parsed.bind;
};
const bad = (text: string): string => {
  const parsed = parseBind(text);
  assert.ok('error' in parsed, `${text} should not parse`);
  return parsed.error;
};

test('TCP: HOST:PORT, [IPV6]:PORT, a host name, tcp:// and port 0', () => {
  assert.deepEqual(ok('127.0.0.1:8000'), { kind: 'tcp', host: '127.0.0.1', port: 8000 });
  assert.deepEqual(ok('[::1]:0'), { kind: 'tcp', host: '::1', port: 0 });
  assert.deepEqual(ok('[fe80::1%eth0]:80'), { kind: 'tcp', host: 'fe80::1%eth0', port: 80 });
  assert.deepEqual(ok('localhost:65535'), { kind: 'tcp', host: 'localhost', port: 65535 });
  assert.deepEqual(ok('tcp://0.0.0.0:80'), { kind: 'tcp', host: '0.0.0.0', port: 80 });
});

test('Unix sockets: unix:PATH and unix://PATH, relative paths kept as given (config makes them absolute)', () => {
  assert.deepEqual(ok('unix:/run/app.sock'), { kind: 'unix', path: '/run/app.sock' });
  assert.deepEqual(ok('unix:///run/app.sock'), { kind: 'unix', path: '/run/app.sock' });
  assert.deepEqual(ok('unix:app.sock'), { kind: 'unix', path: 'app.sock' });
  assert.deepEqual(ok('unix:/tmp/a:b.sock'), { kind: 'unix', path: '/tmp/a:b.sock' });
});

test('inherited descriptors: fd://N (3 or more) and fd://NAME', () => {
  assert.deepEqual(ok('fd://3'), { kind: 'fd', fd: 3, name: '' });
  assert.deepEqual(ok('fd://web'), { kind: 'fdname', name: 'web' });
  assert.match(bad('fd://0'), /3 or more/);
  assert.match(bad('fd://2'), /3 or more/);
  assert.match(bad('fd://'), /fd:\/\/N/);
  assert.match(bad('fd://a:b'), /fd:\/\/NAME/);
});

test('malformed binds say what was expected', () => {
  assert.match(bad('unix:'), /unix:PATH with a path/);
  assert.match(bad('unix:' + '/x'.repeat(60)), /at most 107 bytes/);
  assert.match(bad('[::1'), /HOST:PORT, \[IPV6\]:PORT, unix:PATH or fd:\/\/N/);
  assert.match(bad('::1:80'), /HOST:PORT, \[IPV6\]:PORT/);
  assert.match(bad('127.0.0.1'), /HOST:PORT/);
  assert.match(bad('127.0.0.1:65536'), /port from 0 to 65535/);
  assert.match(bad('127.0.0.1:000080'), /port from 0 to 65535/);
  assert.match(bad(':80'), /with a host/);
  assert.match(bad('[10.0.0.1]:80'), /IPv6 address in the brackets/);
  assert.match(bad('bad_host!:80'), /IP address or a host name/);
});

test('showBind writes each form back as a person reads it', () => {
  assert.equal(showBind({ kind: 'tcp', host: '::1', port: 0 }, 4321), '[::1]:4321');
  assert.equal(showBind({ kind: 'tcp', host: '127.0.0.1', port: 80 }), '127.0.0.1:80');
  assert.equal(showBind({ kind: 'unix', path: '/run/a.sock' }), 'unix:/run/a.sock');
  assert.equal(showBind({ kind: 'fd', fd: 3, name: 'web' }), 'fd://3 (web)');
  assert.equal(showBind({ kind: 'fd', fd: 4, name: '' }), 'fd://4');
});

test('socket activation: LISTEN_FDS descriptors from 3, named by LISTEN_FDNAMES, only for our pid', () => {
  assert.deepEqual(inheritedSockets({ LISTEN_FDS: '2', LISTEN_PID: '42', LISTEN_FDNAMES: 'web:unknown' }, 42), [
    { kind: 'fd', fd: 3, name: 'web' },
    { kind: 'fd', fd: 4, name: '' },
  ]);
  assert.deepEqual(inheritedSockets({ LISTEN_FDS: '1', LISTEN_PID: '42' }, 42), [{ kind: 'fd', fd: 3, name: '' }]);
  // Left over from a parent, or malformed: not ours.
  assert.deepEqual(inheritedSockets({ LISTEN_FDS: '1', LISTEN_PID: '41' }, 42), []);
  assert.deepEqual(inheritedSockets({ LISTEN_FDS: '1' }, 42), []);
  assert.deepEqual(inheritedSockets({ LISTEN_FDS: 'x', LISTEN_PID: '42' }, 42), []);
  assert.deepEqual(inheritedSockets({}, 42), []);
});
