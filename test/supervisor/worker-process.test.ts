// The supervisor's side of one worker process: sending to a worker that is
// exiting or has closed its channel is logged, never an uncaught 'error'
// that would kill the supervisor (issue 9, failure 12).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { WorkerProcess } from '../../src/supervisor/worker-process';

function script(body: string): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-wp-')), 'child.js');
  fs.writeFileSync(file, body);
  return file;
}

function run(body: string): { proc: WorkerProcess; exited: Promise<number | null> } {
  let resolve: (code: number | null) => void = () => undefined;
  const exited = new Promise<number | null>((r) => (resolve = r));
  const proc = new WorkerProcess(script(body), { message: () => undefined, exit: (code) => resolve(code) });
  return { proc, exited };
}

test('messages to a worker that exits at once never throw nor emit an uncaught error', async () => {
  const { proc, exited } = run('process.exit(0);\n');
  const uncaught: unknown[] = [];
  const onUncaught = (err: unknown): void => void uncaught.push(err);
  process.on('uncaughtException', onUncaught);
  try {
    const sending = setInterval(() => proc.send({ type: 'reopen-logs' }), 1);
    assert.equal(await exited, 0);
    await new Promise((r) => setTimeout(r, 100));
    clearInterval(sending);
    assert.equal(proc.send({ type: 'reopen-logs' }), false, 'a closed channel is reported as not sent');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(uncaught, []);
  } finally {
    process.off('uncaughtException', onUncaught);
  }
});

test('a worker that closed its channel but lives on: send() says false, kill() ends it', async () => {
  const { proc, exited } = run('process.disconnect(); setTimeout(() => undefined, 30000);\n');
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(proc.isAlive, true);
  assert.equal(proc.send({ type: 'shutdown', mode: 'stop' }), false);
  proc.kill('SIGKILL');
  assert.equal(await exited, null);
  assert.equal(proc.isAlive, false);
});
