// `--help` and `--version`, generated from the schema and shaped like the
// original's usage text: title, usage line, options, environment variables,
// precedence, and a YAML config example that uses every key.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { yamlLib } from '../config/yaml-lib';
import { ACTIONS, ALL_SETTINGS, defaultText, formatSize, type AnySetting } from '../config/schema';

const PACKAGE_NAME = 'yimmo-wsgi';

/**
 * The directory holding yimmo-wsgi's package.json: found by walking up from
 * this file (dist/src/cli -> repo), then from the working directory (for a
 * build placed outside the repo). tsconfig has no resolveJsonModule, hence fs.
 */
export function packageRoot(): string | undefined {
  for (const start of [__dirname, process.cwd()]) {
    let dir = start;
    for (;;) {
      const file = join(dir, 'package.json');
      if (existsSync(file) && packageField(file, 'name') === PACKAGE_NAME) return dir;
      const parent = dirname(dir);
      if (parent === dir) break;
      dir = parent;
    }
  }
  return undefined;
}

function packageField(file: string, field: string): string | undefined {
  try {
    const data: unknown = JSON.parse(readFileSync(file, 'utf8'));
    if (typeof data !== 'object' || data === null) return undefined;
    const value: unknown = Object.getOwnPropertyDescriptor(data, field)?.value;
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

export function packageVersion(): string {
  const root = packageRoot();
  return (root === undefined ? undefined : packageField(join(root, 'package.json'), 'version')) ?? 'unknown';
}

/** What --version prints. */
export function versionText(): string {
  return `${PACKAGE_NAME} ${packageVersion()}\n`;
}

/** The options column: `--port, -P PORT`. */
export function flagText(flag: string, short: string | undefined, meta: string | undefined): string {
  return `--${flag}${short === undefined ? '' : `, -${short}`}${meta === undefined ? '' : ` ${meta}`}`;
}

function table(rows: readonly (readonly [string, string])[]): string[] {
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)} : ${right}`);
}

function withDefault(s: AnySetting): string {
  return `${s.doc} (default: ${defaultText(s).replace(/`/g, '')})`;
}

export function helpText(): string {
  const options: [string, string][] = [];
  for (const s of ALL_SETTINGS) if (s.flag !== undefined) options.push([flagText(s.flag, s.short, s.meta), withDefault(s)]);
  for (const a of ACTIONS) options.push([flagText(a.flag, 'short' in a ? a.short : undefined, undefined), a.doc]);
  const envs: [string, string][] = [];
  for (const s of ALL_SETTINGS) if (s.env !== undefined) envs.push([s.env, s.doc]);
  return [
    `${PACKAGE_NAME} ${packageVersion()}`,
    `Usage: ${PACKAGE_NAME} [OPTIONS] WSGI_MODULE:WSGI_APP`,
    '',
    'Arguments:',
    ...table([
      ['WSGI_MODULE', 'Python module to import (dotted name; set PYTHONPATH for modules elsewhere)'],
      ['WSGI_APP', 'Python expression after the FIRST colon whose value is the WSGI app, e.g. app or \'create_app("x")\''],
    ]),
    '',
    'Options:',
    ...table(options),
    '',
    'Environment Variables:',
    ...table(envs),
    '  (an empty variable counts as unset)',
    '',
    'Configuration precedence (greatest to least):',
    ...PRECEDENCE.map((p) => `  - ${p}`),
    '',
    'Times are in seconds (fractions allowed); sizes in bytes, or with a K, M, G suffix (1024-based).',
    '',
    '# Config Example:',
    configExample(),
  ].join('\n');
}

export const PRECEDENCE = ['command line parameters', 'environment variables', 'config files', 'built-in defaults'] as const;

type Tree = Map<string, AnySetting | Tree>;

/** A YAML document setting every key the config file accepts, each to its default (or an example). */
export function configExample(): string {
  const root: Tree = new Map();
  for (const s of ALL_SETTINGS) {
    if (s.yaml === undefined) continue;
    const parts = s.yaml.split('.');
    let level = root;
    for (const part of parts.slice(0, -1)) {
      const next = level.get(part);
      const group: Tree = next instanceof Map ? next : new Map();
      level.set(part, group);
      level = group;
    }
    level.set(parts[parts.length - 1] ?? s.yaml, s);
  }
  const lines = ['---'];
  const walk = (level: Tree, indent: string): void => {
    for (const [name, node] of level) {
      if (node instanceof Map) {
        lines.push(`${indent}${name}:`);
        walk(node, `${indent}  `);
      } else {
        const note = exampleNote(node);
        lines.push(`${indent}${name}: ${exampleValue(node)}${note === '' ? '' : `  # ${note}`}`);
      }
    }
  };
  walk(root, '');
  return `${lines.join('\n')}\n`;
}

function exampleValue(s: AnySetting): string {
  switch (s.type) {
    case 'string':
    case 'path':
      return scalar(s.default ?? s.example ?? '');
    case 'size':
      return formatSize(s.default);
    case 'seconds':
    case 'int':
    case 'bool':
    case 'level':
      return scalar(s.default);
  }
}

function exampleNote(s: AnySetting): string {
  if (s.type === 'seconds') return s.zero === undefined ? 'seconds' : `seconds; 0 = ${s.zero}`;
  if (s.type === 'size') return 'bytes, or 512K / 10M / 1G';
  if (s.key === 'useKqueue') return 'no effect';
  if (s.key === 'python') return `default: ${defaultText(s).replace(/`/g, '')}`;
  return '';
}

function scalar(value: string | number | boolean): string {
  return yamlLib().stringify(value).trimEnd();
}
