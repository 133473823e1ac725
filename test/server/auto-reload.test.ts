// --reload: a change to one of the app's Python files (or to a
// --reload-extra-file) swaps the hosts of every worker; a syntax error keeps
// the last good code serving and is logged once.
import { test } from 'node:test';
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { get, request, startServer } from '../support/server';
import { children, eventually, sleep } from '../support/processes';

const APP = 'import helper\n' +
  'with open("data.txt") as f:\n' +
  '    DATA = f.read().strip()\n' +
  'def app(environ, start_response):\n' +
  '    start_response("200 OK", [("Content-Type", "text/plain")])\n' +
  '    return [("%s %s" % (helper.VERSION, DATA)).encode()]\n';

async function body(port: number): Promise<string> {
  const r = await request(port, get('/'), { timeoutMs: 10_000 });
  assert.equal(r.status, 200);
  return r.body.toString();
}

/** Every request answered with `expected` (both workers answer some of them). */
async function serves(port: number, expected: string): Promise<void> {
  for (let i = 0; i < 6; i++) assert.equal(await body(port), expected);
}

test('--reload -p 2: edits swap the hosts; a syntax error keeps the last good code and is logged once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'yimmo-autoreload-'));
  const write = (name: string, text: string): void => {
    // A rename, as many editors save: the watcher must still see it.
    fs.writeFileSync(path.join(dir, `.${name}.tmp`), text);
    fs.renameSync(path.join(dir, `.${name}.tmp`), path.join(dir, name));
  };
  write('helper.py', 'VERSION = "v1"\n');
  write('data.txt', 'one\n');
  write('watched.py', APP);
  const server = await startServer('watched:app', {
    args: ['-p', '2', '--reload', '--reload-extra-file', 'data.txt'],
    cwd: dir,
    env: { PYTHONPATH: dir },
  });
  try {
    const workers = children(server.child.pid as number).sort();
    await serves(server.port, 'v1 one');

    // Each version a different size: Python trusts a .pyc whose source has the
    // same size and mtime second, and these edits come within a second.
    write('helper.py', 'VERSION = "v22"\n');
    await eventually(() => serves(server.port, 'v22 one'), 15_000);
    assert.match(server.output(), /--reload: .*helper\.py changed/);

    write('helper.py', 'VERSION = "v3\n'); // unterminated string
    await eventually(async () => assert.match(server.output(), /YW_RELOAD_FAILED: .*SyntaxError/), 15_000);
    await sleep(2000);
    assert.equal((server.output().match(/YW_RELOAD_FAILED/g) ?? []).length, 1, 'logged more than once:\n' + server.output());
    await serves(server.port, 'v22 one');

    write('helper.py', 'VERSION = "v333"\n');
    await eventually(() => serves(server.port, 'v333 one'), 15_000);

    write('data.txt', 'two\n'); // not Python: watched because of --reload-extra-file
    await eventually(() => serves(server.port, 'v333 two'), 15_000);

    assert.deepEqual(children(server.child.pid as number).sort(), workers, 'workers were replaced');
    assert.doesNotMatch(server.output(), /died/);
  } finally {
    await server.stop();
  }
});
