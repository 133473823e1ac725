// The layering of ARCHITECTURE.md, checked on the sources: docs -> cli ->
// config -> log, errors; log imports nothing outside log.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/cli/help';

const root = join(packageRoot() ?? '.', 'src');

/** The src/ directories a directory's files import from (relative imports only). */
function importsOf(dir: string): Set<string> {
  const found = new Set<string>();
  for (const file of readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(join(root, dir, file), 'utf8');
    for (const m of text.matchAll(/from '\.\.\/([\w-]+)(\/|')/g)) found.add(m[1] ?? '');
  }
  return found;
}

test('config imports neither cli nor docs (dependencies point cli -> config)', () => {
  const imports = importsOf('config');
  assert.ok(!imports.has('cli'), 'src/config imports src/cli');
  assert.ok(!imports.has('docs'), 'src/config imports src/docs');
});

test('cli imports config, never docs', () => {
  assert.ok(!importsOf('cli').has('docs'));
});

test('log imports nothing outside log', () => {
  assert.deepEqual([...importsOf('log')], []);
});
