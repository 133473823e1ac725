import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { flushAll } from '../../src/log/log-file';
import { configureLogging, log, reopenLogFiles, setLogLevel } from '../../src/log/logger';
import { HostStderr } from '../../src/log/host-stderr';

const dir = mkdtempSync(join(tmpdir(), 'yw-log-'));

test('reopenLogFiles: after a rename (logrotate), the next line goes to a new file at the path', () => {
  const path = join(dir, 'error.log');
  configureLogging({ format: 'text', errorLog: path });
  setLogLevel('NOTICE');
  log.notice('before rotation');
  flushAll();
  renameSync(path, `${path}.1`);
  log.notice('still the old file until reopened');
  reopenLogFiles();
  log.notice('after rotation');
  flushAll();
  const old = readFileSync(`${path}.1`, 'utf8');
  const fresh = readFileSync(path, 'utf8');
  assert.match(old, /NOTICE before rotation\n.*NOTICE still the old file until reopened\n$/s);
  assert.match(fresh, /^\S+ \[\d+\] NOTICE after rotation\n$/);
});

test('a host stderr relay: host records keep their level, other lines are STDERR, all with the host pid', () => {
  const path = join(dir, 'relay.log');
  configureLogging({ format: 'json', errorLog: path });
  const relay = new HostStderr(999);
  const record = `\x1e${JSON.stringify({ t: 1700000000000, l: 'ERROR', m: 'boom:\nTraceback (most recent call last):\n  x' })}\n`;
  // Split across chunks at awkward places, a UTF-8 character cut in two, a partial app line before a record.
  const bytes = Buffer.concat([Buffer.from('app é line\npartial'), Buffer.from(record), Buffer.from('last no newline')]);
  for (let i = 0; i < bytes.length; i += 5) relay.push(bytes.subarray(i, i + 5));
  relay.end();
  flushAll();
  const records = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.deepEqual(records.map((r) => [r['level'], r['pid'], r['message']]), [
    ['STDERR', 999, 'app é line'],
    ['STDERR', 999, 'partial'],
    ['ERROR', 999, 'boom:\nTraceback (most recent call last):\n  x'],
    ['STDERR', 999, 'last no newline'],
  ]);
  assert.equal(records[2]?.['time'], new Date(1700000000000).toISOString());
});

test('a very long stderr line is cut into bounded records', () => {
  const path = join(dir, 'long.log');
  configureLogging({ format: 'json', errorLog: path });
  const relay = new HostStderr(5);
  relay.push(Buffer.alloc(40 * 1024, 'a'));
  relay.end();
  flushAll();
  const lengths = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => String((JSON.parse(l) as { message: string }).message).length);
  assert.deepEqual(lengths, [16384, 16384, 8192]);
});

test("a traceback the application prints to stderr stays in one record, with the line before it", async () => {
  const path = join(dir, 'traceback.log');
  configureLogging({ format: 'json', errorLog: path });
  const relay = new HostStderr(77);
  const text = [
    'plain line',
    'ERROR:root:request failed',
    'Traceback (most recent call last):',
    '  File "app.py", line 3, in f',
    '    raise KeyError("k")',
    "KeyError: 'k'",
    '',
    'During handling of the above exception, another exception occurred:',
    '',
    'Traceback (most recent call last):',
    '  File "app.py", line 5, in f',
    '    1 / 0',
    '    ~~^~~',
    'ZeroDivisionError: division by zero',
    'next message',
    '',
  ].join('\n');
  // One line per write, as print() to a line-buffered stderr does.
  for (const line of text.split(/(?<=\n)/)) relay.push(Buffer.from(line));
  await new Promise((r) => setTimeout(r, 100)); // past the grouping delay: the last record is written by the timer
  flushAll();
  const messages = readFileSync(path, 'utf8').trimEnd().split('\n').map((l) => (JSON.parse(l) as { message: string }).message);
  assert.deepEqual(messages, [
    'plain line',
    text.split('\n').slice(1, 14).join('\n'),
    'next message',
  ]);
});

test('a host record from a process the application forked keeps that process pid', () => {
  const path = join(dir, 'forked.log');
  configureLogging({ format: 'json', errorLog: path });
  const relay = new HostStderr(999);
  relay.push(Buffer.from(`\x1e${JSON.stringify({ t: 1, l: 'ERROR', p: 1234, m: 'from a child' })}\n`));
  relay.end();
  flushAll();
  const record = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  assert.deepEqual([record['pid'], record['message']], [1234, 'from a child']);
});
