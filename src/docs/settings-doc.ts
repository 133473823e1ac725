// Generates docs/settings.md from the schema (a docs generator: it sits above
// both config and cli, which it renders). Run as a script it prints the
// document (`npm run docs` writes it); test/config/settings-doc.test.ts fails
// when the committed file differs, so the docs cannot drift from the code.

import { configExample, flagText, PRECEDENCE } from '../cli/help';
import type { ConfigCode } from '../config/config-error';
import { ACTIONS, ALL_SETTINGS, defaultText, rangeText, type AnySetting } from '../config/schema';
import { STARTUP_ERRORS } from '../errors';

/** When each config error code is raised; the test checks every YW_CONFIG_ code has an entry. */
export const CONFIG_CODE_CAUSES: { readonly [C in ConfigCode]: string } = {
  YW_CONFIG_INVALID: 'A value is malformed or out of range (any source), a YAML value has the wrong type, ' +
    'or only one of the TLS certificate and key is set.',
  YW_CONFIG_UNKNOWN_KEY: 'An unknown command-line option, or an unknown key in the config file.',
  YW_CONFIG_USAGE: 'An option without its value, a value given to --help/--version, or a second positional argument.',
  YW_CONFIG_FILE: 'The config file is missing, unreadable, not valid YAML, or not a mapping.',
  YW_CONFIG_TLS_FILE: 'The TLS certificate or key cannot be read, or they are not a usable pair.',
  YW_CONFIG_NO_APP: 'The WSGI module or app expression is not given by any source.',
  YW_CONFIG_PYTHON: 'The python interpreter does not exist, is not executable, or is not on PATH.',
  YW_CONFIG_LOG_FILE: 'The error or access log file cannot be opened for appending (checked before the server binds).',
};

const code = (text: string): string => `\`${text}\``;
const cell = (text: string): string => text.replace(/\|/g, '\\|');

function flags(s: AnySetting): string {
  return s.flag === undefined ? '' : flagText(s.flag, s.short, s.meta);
}

function accepts(s: AnySetting): string {
  const zero = 'zero' in s && s.zero !== undefined ? `; 0 = ${s.zero}` : '';
  return `${rangeText(s)}${zero}`;
}

function section(s: AnySetting): string[] {
  const lines = [`### ${code(s.key)}`, '', `${s.doc}.${s.details === undefined ? '' : ` ${s.details}`}`, ''];
  const flag = flags(s);
  if (s.key === 'module' || s.key === 'app') {
    lines.push(`- Command line: the ${s.key === 'module' ? 'part before' : 'part after'} the first colon of the ` +
      '`MODULE:EXPRESSION` argument');
  } else {
    lines.push(`- Command line: ${flag === '' ? 'none' : code(flag)}`);
  }
  lines.push(
    `- Environment: ${s.env === undefined ? 'none' : code(s.env)}`,
    `- YAML: ${s.yaml === undefined ? 'none' : code(s.yaml)}`,
    `- Default: ${defaultText(s).includes('`') ? defaultText(s) : code(defaultText(s))}`,
    `- Accepts: ${accepts(s)}`,
    '',
  );
  return lines;
}

export function renderSettingsDoc(): string {
  const rows = ALL_SETTINGS.map((s) => {
    const cli = s.key === 'module' || s.key === 'app' ? `\`MODULE:EXPRESSION\` (${s.key === 'module' ? 'before' : 'after'} the first colon)` : flags(s) === '' ? '' : code(flags(s));
    const envCell = s.env === undefined ? '' : code(s.env);
    const yamlCell = s.yaml === undefined ? '' : code(s.yaml);
    const def = defaultText(s).includes('`') ? defaultText(s) : code(defaultText(s));
    return `| [${code(s.key)}](#${s.key.toLowerCase()}) | ${cell(cli)} | ${envCell} | ${yamlCell} | ${cell(def)} | ${cell(s.doc)} |`;
  });
  const actions = ACTIONS.map((a) => `- ${code(flagText(a.flag, 'short' in a ? a.short : undefined, undefined))}: ${a.doc}.`);
  const errors = (Object.keys(CONFIG_CODE_CAUSES) as ConfigCode[]).map(
    (c) => `| ${code(c)} | ${STARTUP_ERRORS[c].message} | ${CONFIG_CODE_CAUSES[c]} |`,
  );
  return [
    '<!-- Generated from src/config/schema.ts by src/docs/settings-doc.ts. Do not edit: run `npm run docs`. -->',
    '',
    '# yimmo-wsgi settings',
    '',
    'Usage: `yimmo-wsgi [OPTIONS] WSGI_MODULE:WSGI_APP`. The argument is split at its **first** colon: the module ' +
      'before it, and after it a Python expression (which may contain colons) whose value is the WSGI app.',
    '',
    'Each setting is taken from the first of these that gives it (greatest to least):',
    '',
    ...PRECEDENCE.map((p, i) => `${i + 1}. ${p}`),
    '',
    'Rules common to all settings:',
    '',
    '- Every value given is validated, even one that a higher source overrides; a bad value stops the server ' +
      'with a one-line error naming the setting, where it came from and the value.',
    '- Times are in seconds, fractions allowed (`0.5`). Sizes are bytes, optionally with a 1024-based suffix ' +
      '`K`, `M`, `G` or `T` (`512K`, `10M`, `1G`).',
    '- Flags take their value as `--port 8080`, `--port=8080`, `-P 8080` or `-P8080`; `--` ends the options. ' +
      'A repeated flag keeps its last value.',
    '- An environment variable set to the empty string counts as unset. A `YIMMO_` variable that looks like a ' +
      'misspelt setting is reported as a warning at startup.',
    '- The config file is YAML 1.2. Unknown keys, wrong types (`port: "8080"` is a string, not an integer) and ' +
      'a non-mapping top level are errors. Relative paths in it are relative to the file\'s directory; relative ' +
      'paths on the command line or in the environment are relative to the working directory.',
    '- Request limits are flat keys under `wsgi` (`wsgi.max_body_size`), named like their flags ' +
      '(`--max-body-size`) and environment variables (`YIMMO_WSGI_MAX_BODY_SIZE`).',
    '',
    'Other options:',
    '',
    ...actions,
    '',
    '## Summary',
    '',
    '| Setting | Command line | Environment | YAML | Default | Meaning |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    '## Settings',
    '',
    ...ALL_SETTINGS.flatMap(section),
    '## Config file example',
    '',
    'Every key the config file accepts, set to its default (or an example where there is none):',
    '',
    '```yaml',
    configExample().trimEnd(),
    '```',
    '',
    '## Configuration errors',
    '',
    'Startup stops with a ConfigError carrying one of these codes; its message is one line naming the setting, ' +
      'where the value came from, and the value.',
    '',
    '| Code | Summary | Raised when |',
    '| --- | --- | --- |',
    ...errors,
    '',
  ].join('\n');
}

if (require.main === module) process.stdout.write(renderSettingsDoc());
