// Host start-up is bounded: an application whose import hangs (a database
// down at import) ends the server at start (exit 3, one line), and a
// replacement host that hangs is killed, logged, reported to the supervisor
// and retried with backoff until it starts (issue 9, item 3).
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { PYTHON, get, request, runCli, startServer } from '../support/server';

function hangFile(): string {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'yw-hang-')), 'database-down');
  fs.writeFileSync(file, '');
  return file;
}

async function until(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test('an app whose import hangs at server start: killed after --host-start-timeout, one line, exit 3', async () => {
  const flag = hangFile();
  const started = Date.now();
  const r = await runCli(['--python', PYTHON, '--port', '0', '--host-start-timeout', '1', 'hanging_import:app'], {
    YIMMO_TEST_HANG_FILE: flag,
  });
  const elapsed = Date.now() - started;
  assert.equal(r.code, 3, r.stderr);
  assert.ok(elapsed >= 1000, `gave up after ${elapsed} ms, before the timeout`);
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0] as string, /YW_APP_LOAD: .*did not finish loading within 1 s \(--host-start-timeout\)/);
});

test('a replacement host whose import hangs is killed, each attempt logged and reported, and retried until it starts', async () => {
  const flag = hangFile();
  fs.unlinkSync(flag); // the first host imports normally
  const server = await startServer('hanging_import:app', {
    args: ['--host-start-timeout', '0.5'],
    env: { YIMMO_TEST_HANG_FILE: flag },
  });
  try {
    const first = (await request(server.port, get('/'))).body.toString();
    fs.writeFileSync(flag, ''); // the database goes down
    await request(server.port, get('/crash')).catch(() => undefined);
    // The worker's own line and the supervisor's, for at least two attempts.
    await until('two reported attempts', () => /YW_HOST_START: worker \d+: python host start attempt 2 failed: .*within 0\.5 s/.test(server.output()), 20_000);
    assert.match(server.output(), /cannot start a replacement python host \(attempt 1, next in [\d.]+ s\): .*within 0\.5 s/);
    fs.unlinkSync(flag); // the database is back
    await until('a new host', () => /python host \d+ started after \d+ failed attempt/.test(server.output()), 20_000);
    const r = await request(server.port, get('/'));
    assert.equal(r.status, 200);
    assert.notEqual(r.body.toString(), first, 'the same host answered');
  } finally {
    await server.stop();
  }
});
