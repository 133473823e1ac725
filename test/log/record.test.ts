import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatRecord, jsonLine } from '../../src/log/record';

const TIME = Date.UTC(2026, 10, 24, 5, 54, 50, 123);

test('a text record is time, [pid], level and the message', () => {
  assert.equal(formatRecord('text', { time: TIME, level: 'ERROR', pid: 7, message: 'boom' }),
    '2026-11-24T05:54:50.123Z [7] ERROR boom\n');
});

test('a JSON record is one line that parses back to the same message, whatever it holds', () => {
  const nasty = 'Traceback:\n  line\r\n\u0000\u001b\u007f\u0085\u2028\u2029 "q" \\ \ud800 é 😀';
  const line = formatRecord('json', { time: TIME, level: 'ERROR', pid: 7, message: nasty });
  assert.ok(line.endsWith('\n'));
  const body = line.slice(0, -1);
  // No character any common reader splits lines on (Python's str.splitlines() list).
  assert.doesNotMatch(body, /[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/);
  assert.equal(body.split(/\r\n|[\n\r\u000b\u000c\u001c-\u001e\u0085\u2028\u2029]/).length, 1);
  const parsed = JSON.parse(body) as Record<string, unknown>;
  assert.deepEqual(Object.keys(parsed), ['time', 'level', 'pid', 'message']);
  assert.equal(parsed['time'], '2026-11-24T05:54:50.123Z');
  assert.equal(parsed['message'], nasty);
  assert.equal(parsed['pid'], 7);
});

test('jsonLine escapes C1 controls and line separators in every field', () => {
  assert.equal(jsonLine({ a: '\u0085', b: ['\u2028'] }), '{"a":"\\u0085","b":["\\u2028"]}\n');
});
