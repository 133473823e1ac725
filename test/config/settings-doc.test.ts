import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { packageRoot } from '../../src/cli/help';
import { CONFIG_CODE_CAUSES, renderSettingsDoc } from '../../src/docs/settings-doc';
import { ALL_SETTINGS } from '../../src/config/schema';
import { STARTUP_ERRORS } from '../../src/errors';

const root = packageRoot() ?? '.';
const doc = readFileSync(join(root, 'docs', 'settings.md'), 'utf8');
const configCodes = Object.keys(STARTUP_ERRORS).filter((c) => c.startsWith('YW_CONFIG_'));

test('docs/settings.md is up to date with the schema (run `npm run docs` after a change)', () => {
  assert.equal(doc, renderSettingsDoc());
});

test('docs/settings.md names every flag, environment variable and YAML key', () => {
  for (const s of ALL_SETTINGS) {
    assert.ok(doc.includes(`### \`${s.key}\``), s.key);
    if (s.flag !== undefined) assert.ok(doc.includes(`--${s.flag}`), s.flag);
    if (s.env !== undefined) assert.ok(doc.includes(`\`${s.env}\``), s.env);
    if (s.yaml !== undefined) assert.ok(doc.includes(`\`${s.yaml}\``), s.yaml);
  }
});

test('every config error code is documented in docs/settings.md', () => {
  assert.deepEqual(Object.keys(CONFIG_CODE_CAUSES).sort(), [...configCodes].sort());
  for (const code of configCodes) assert.ok(doc.includes(`\`${code}\``), code);
});

test('every config error code is raised somewhere in src/config or src/cli', () => {
  const sources = ['src/config', 'src/cli']
    .flatMap((dir) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts'))
      .map((f) => readFileSync(join(root, dir, f), 'utf8')))
    .join('\n');
  for (const code of configCodes) assert.ok(sources.includes(`'${code}'`), `${code} is never raised`);
});
