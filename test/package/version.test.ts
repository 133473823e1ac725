// The version scheme: one MAJOR.MINOR.PATCH in package.json (the wheel reads
// it from there), a CHANGELOG entry for it, and the same number in the lock file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { repoPath } from '../support/repo';
import { PYTHON, runCli } from '../support/server';

const read = (name: string): string => fs.readFileSync(repoPath(name), 'utf8');

test('package.json has a plain MAJOR.MINOR.PATCH version, also in package-lock.json', () => {
  const version = (JSON.parse(read('package.json')) as { version: string }).version;
  assert.match(version, /^\d+\.\d+\.\d+$/, 'a pre-release tag would need its own PEP 440 spelling for the wheel');
  assert.equal((JSON.parse(read('package-lock.json')) as { version: string }).version, version);
});

test('CHANGELOG.md has an entry for the current version and an Unreleased section on top', () => {
  const version = (JSON.parse(read('package.json')) as { version: string }).version;
  const headings = read('CHANGELOG.md').split('\n').filter((l) => l.startsWith('## '));
  assert.equal(headings[0], '## Unreleased');
  assert.ok(headings.some((h) => h.startsWith(`## ${version} - `)), `no "## ${version} - DATE" heading in ${headings.join(' | ')}`);
});

test('--version prints the server\'s, Node\'s and the default Python\'s versions, and says when that Python is missing', async () => {
  const ok = await runCli(['--version'], { YIMMO_WSGI_LAUNCHER_PYTHON: PYTHON });
  assert.equal(ok.code, 0, ok.stderr);
  const lines = ok.stdout.split('\n');
  assert.equal(lines[0], `yimmo-wsgi ${(JSON.parse(read('package.json')) as { version: string }).version}`);
  assert.match(lines[1] ?? '', /^Node \d+\.\d+\.\d+ \(\/.+\)$/);
  assert.match(lines[2] ?? '', new RegExp(`^Python 3\\.\\d+\\.\\d+ \\(${PYTHON}, the default\\)$`));
  const missing = await runCli(['--version'], { YIMMO_WSGI_LAUNCHER_PYTHON: '/nonexistent/python3' });
  assert.equal(missing.code, 0, missing.stderr);
  assert.ok(missing.stdout.endsWith('\nPython: /nonexistent/python3 does not exist (the default; set --python or YIMMO_PYTHON)\n'), missing.stdout);
});
