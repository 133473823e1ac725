// The npm package: `npm pack` builds it (prepare) from a copy of the sources,
// the tarball holds only what runs, and `npm install -g` of the tarball into
// an empty prefix gives a yimmo-wsgi command that serves an app.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyCheckout } from '../support/checkout';
import { PYTHON, get, request, startServer } from '../support/server';
import { repoPath } from '../support/repo';
import { envWithThisNode, run, runOk } from './run';

describe('the npm package', () => {
  let checkout: ReturnType<typeof copyCheckout>;
  let tarball: string;
  let prefix: string;

  before(() => {
    checkout = copyCheckout('yimmo-npm-');
    const work = path.dirname(checkout.dir);
    // A compiled test whose source was deleted: the build (prepare) must not leave it behind.
    fs.mkdirSync(path.join(checkout.dir, 'dist', 'test', 'server'), { recursive: true });
    fs.writeFileSync(path.join(checkout.dir, 'dist', 'test', 'server', 'deleted.test.js'), 'throw new Error("stale");\n');
    const packed = runOk('npm', ['pack', '--pack-destination', work], { cwd: checkout.dir, env: envWithThisNode(), timeoutMs: 300_000 });
    const name = packed.stdout.trim().split('\n').pop() ?? '';
    tarball = path.join(work, name);
    assert.ok(fs.existsSync(tarball), `npm pack printed ${JSON.stringify(packed.stdout)}`);
    prefix = path.join(work, 'prefix');
    fs.mkdirSync(prefix);
    runOk('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', tarball],
      { cwd: work, env: envWithThisNode(), timeoutMs: 300_000 });
  });
  after(() => checkout.remove());

  test('is public and its tarball holds only what runs: the compiled server, the Python host, the command', () => {
    const pkg = JSON.parse(fs.readFileSync(repoPath('package.json'), 'utf8')) as { private?: boolean; version: string };
    assert.notEqual(pkg.private, true);
    assert.equal(path.basename(tarball), `yimmo-wsgi-${pkg.version}.tgz`);
    const files = runOk('tar', ['-tzf', tarball]).stdout.trim().split('\n');
    for (const f of ['package/package.json', 'package/bin/yimmo-wsgi', 'package/dist/src/main.js', 'package/dist/src/worker/main.js',
      'package/python/yimmo_host/main.py', 'package/README.md', 'package/CHANGELOG.md']) {
      assert.ok(files.includes(f), `${f} is missing from the tarball`);
    }
    const strays = files.filter((f) => /dist\/test\/|\/bench\/|\/src\/.*\.ts$|\.map$|__pycache__|python\/tests\//.test(f));
    assert.deepEqual(strays, [], 'the tarball holds files that do not run');
  });

  test('the build starts from an empty dist/: a compiled file whose source is gone does not survive it', () => {
    assert.ok(!fs.existsSync(path.join(checkout.dir, 'dist', 'test', 'server', 'deleted.test.js')), 'a stale test survived the build');
    assert.ok(fs.existsSync(path.join(checkout.dir, 'dist', 'test', 'server', 'flask.test.js')));
  });

  test('npm install -g of the tarball into an empty prefix gives a yimmo-wsgi that serves an app', async () => {
    const command = path.join(prefix, 'bin', 'yimmo-wsgi');
    assert.ok(fs.existsSync(command), `${command} was not installed`);
    const server = await startServer('version_app:app', { command: [command, '--python', PYTHON], env: envWithThisNode() as Record<string, string> });
    try {
      const r = await request(server.port, get('/'));
      assert.equal(r.status, 200, r.body.toString());
      assert.equal((JSON.parse(r.body.toString()) as { executable: string }).executable, PYTHON);
      // The command is the installed copy, not a link back into the checkout.
      assert.equal(fs.realpathSync(command), path.join(fs.realpathSync(prefix), 'lib', 'node_modules', 'yimmo-wsgi', 'bin', 'yimmo-wsgi'));
      const version = run(command, ['--version'], { env: envWithThisNode() });
      assert.equal(version.code, 0, version.stderr);
      assert.match(version.stdout, /^yimmo-wsgi \d+\.\d+\.\d+\nNode /);
    } finally {
      assert.equal(await server.stop(), 0, server.output());
    }
  });
});
