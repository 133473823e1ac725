// --reload's polling: a change is reported once it has settled, created and
// removed files count, and an untouched file never does.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CodeWatcher } from '../../src/supervisor/code-watcher';

function setup(): { dir: string; calls: string[][]; watcher: CodeWatcher } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-watch-'));
  const calls: string[][] = [];
  const watcher = new CodeWatcher((files) => calls.push([...files].map((f) => path.basename(f)).sort()), 300);
  return { dir, calls, watcher };
}

test('a change is reported after it has settled, a burst of changes once', () => {
  const { dir, calls, watcher } = setup();
  const a = path.join(dir, 'a.py');
  const b = path.join(dir, 'b.py');
  fs.writeFileSync(a, 'x = 1\n');
  fs.writeFileSync(b, 'y = 1\n');
  watcher.watch([a, b]);
  watcher.poll(1000);
  assert.deepEqual(calls, []);
  fs.writeFileSync(a, 'x = 22\n');
  watcher.poll(2000);
  assert.deepEqual(calls, [], 'reported before it settled');
  fs.writeFileSync(b, 'y = 22\n');
  watcher.poll(2200);
  watcher.poll(2499);
  assert.deepEqual(calls, []);
  watcher.poll(2500);
  assert.deepEqual(calls, [['a.py', 'b.py']]);
  watcher.poll(5000);
  assert.equal(calls.length, 1, 'reported again without a change');
});

test('a watched file created or removed is a change; watching again keeps the known state', () => {
  const { dir, calls, watcher } = setup();
  const extra = path.join(dir, 'extra.html');
  watcher.watch([extra]);
  fs.writeFileSync(extra, '<p>');
  watcher.watch([extra]); // known: the creation is still seen
  watcher.poll(0);
  watcher.poll(400);
  assert.deepEqual(calls, [['extra.html']]);
  fs.rmSync(extra);
  watcher.poll(1000);
  watcher.poll(1400);
  assert.deepEqual(calls, [['extra.html'], ['extra.html']]);
  assert.equal(watcher.watched, 1);
});
