import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { configExample, helpText, packageRoot, versionText } from '../../src/cli/help';
import { ALL_SETTINGS } from '../../src/config/schema';
import { parseYaml } from '../../src/config/values';
import { parseConfigText, YAML_PATHS } from '../../src/config/yaml-file';

function packageVersion(): string {
  const data: unknown = JSON.parse(readFileSync(join(packageRoot() ?? '.', 'package.json'), 'utf8'));
  assert.ok(typeof data === 'object' && data !== null && 'version' in data && typeof data.version === 'string');
  return data.version;
}

describe('--help', () => {
  const text = helpText();

  test('starts with the title and the usage line of the original', () => {
    const [title, usage] = text.split('\n');
    assert.equal(title, `yimmo-wsgi ${packageVersion()}`);
    assert.equal(usage, 'Usage: yimmo-wsgi [OPTIONS] WSGI_MODULE:WSGI_APP');
  });

  test('has the sections of the original in its order', () => {
    const order = ['Options:', 'Environment Variables:', 'Configuration precedence (greatest to least):', '# Config Example:'];
    const positions = order.map((h) => text.indexOf(`\n${h}\n`));
    assert.ok(positions.every((p) => p > 0), 'a section is missing');
    assert.deepEqual([...positions].sort((a, b) => a - b), positions);
  });

  test('lists every flag, short flag and environment variable of the schema', () => {
    for (const s of ALL_SETTINGS) {
      if (s.flag !== undefined) assert.match(text, new RegExp(`^  --${s.flag}[ ,]`, 'm'), s.flag);
      if (s.short !== undefined) assert.ok(text.includes(`--${s.flag ?? ''}, -${s.short} `), s.short);
      if (s.env !== undefined) assert.match(text, new RegExp(`^  ${s.env} +: `, 'm'), s.env);
    }
    assert.ok(text.includes('--help, -h'));
    assert.ok(text.includes('--version'));
  });

  test('lists the precedence from the command line down to the defaults', () => {
    assert.ok(text.includes('  - command line parameters\n  - environment variables\n  - config files\n  - built-in defaults'));
  });

  test('has no line with trailing white space', () => {
    assert.ok(!/[ \t]$/m.test(text));
  });
});

describe('the config example', () => {
  const example = configExample();
  const values = parseConfigText(example, 'example');

  test('sets every key a config file accepts', () => {
    const yamlSettings = ALL_SETTINGS.filter((s) => s.yaml !== undefined);
    assert.equal(values.size, yamlSettings.length);
    for (const path of YAML_PATHS) assert.ok(example.includes(`${path.split('.').pop() ?? ''}:`), path);
  });

  test('passes validation, and its values are the defaults', () => {
    for (const s of ALL_SETTINGS) {
      const entry = values.get(s.key);
      if (entry === undefined) continue;
      const parsed = parseYaml(s, entry.value);
      assert.ok(parsed.ok, `${entry.path}: ${parsed.ok ? '' : parsed.reason}`);
      if (s.type !== 'string' && s.type !== 'path') {
        const expected = s.type === 'seconds' ? s.default * 1000 : s.default;
        assert.equal(parsed.value, expected, entry.path);
      }
    }
  });

  test('keeps the layout of the original: log_level at the top, the rest under wsgi, TLS under wsgi.tls', () => {
    assert.ok(example.startsWith('---\nlog_level: NOTICE\nwsgi:\n  port: 8081\n'));
    assert.ok(example.includes('\n  tls:\n    cert: /path/to/site.crt\n    key: /path/to/cert.pem\n'));
  });
});

test('--version prints the name and the version of package.json', () => {
  assert.equal(versionText(), `yimmo-wsgi ${packageVersion()}\n`);
});
