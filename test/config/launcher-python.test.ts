// The pip launcher passes its own interpreter in YIMMO_WSGI_LAUNCHER_PYTHON:
// it replaces only the default, so every explicit choice still wins.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveInvocation } from '../../src/cli/invocation';
import { run, sandbox } from './helpers';

const box = sandbox();
const launcher = box.executable('venv/bin/python');
const other = box.executable('other/bin/python');

test('the launcher\'s interpreter is the default, ahead of VIRTUAL_ENV and python3 on PATH', () => {
  const venv = box.executable('active-venv/bin/python');
  const config = run(['m:a'], box.env({ YIMMO_WSGI_LAUNCHER_PYTHON: launcher, VIRTUAL_ENV: venv.replace(/\/bin\/python$/, '') }));
  assert.equal(config.python, launcher);
  assert.equal(config.sources.python, 'default');
});

test('--python, YIMMO_PYTHON and the YAML key still win over the launcher\'s interpreter', () => {
  const env = { YIMMO_WSGI_LAUNCHER_PYTHON: launcher };
  assert.equal(run(['--python', other, 'm:a'], box.env(env)).python, other);
  assert.equal(run(['m:a'], box.env({ ...env, YIMMO_PYTHON: other })).python, other);
  const file = box.file('python.yaml', `wsgi:\n  python: ${other}\n`);
  assert.equal(run(['-c', file, 'm:a'], box.env(env)).python, other);
});

test('YIMMO_WSGI_LAUNCHER_PYTHON is not reported as an unknown setting, and a missing one is named as the installed interpreter', () => {
  const inv = resolveInvocation(['m:a'], box.env({ YIMMO_WSGI_LAUNCHER_PYTHON: launcher }));
  assert.ok(inv.action === 'run');
  assert.deepEqual(inv.config.warnings, []);
  assert.throws(() => resolveInvocation(['m:a'], box.env({ YIMMO_WSGI_LAUNCHER_PYTHON: '/gone/bin/python' })),
    /python interpreter '\/gone\/bin\/python' \(.*default.*the interpreter yimmo-wsgi was installed with\) does not exist/);
});
