// Reads the YAML config file into raw values keyed by setting, rejecting
// anything the schema does not know (with a did-you-mean) and any structure
// that is not the documented nesting. The values stay `unknown` here; their
// types are checked by values.ts like every other source.

import { readFileSync } from 'node:fs';
import { yamlLib } from './yaml-lib';
import { ConfigError, didYouMean, kindOf, nameIn, show, whereText, type Origin } from './config-error';
import { ALL_SETTINGS, type AnySetting, type SettingKey } from './schema';

export interface FileValue {
  readonly value: unknown;
  /** Dotted YAML path, e.g. wsgi.port. */
  readonly path: string;
}

export type FileValues = ReadonlyMap<SettingKey, FileValue>;

type Node = { readonly setting: AnySetting } | { readonly children: Map<string, Node> };

/** The nesting of YAML keys, built from the schema's `yaml` paths. */
function buildTree(): Map<string, Node> {
  const root = new Map<string, Node>();
  for (const setting of ALL_SETTINGS) {
    if (setting.yaml === undefined) continue;
    const parts = setting.yaml.split('.');
    let level = root;
    parts.forEach((part, i) => {
      if (i === parts.length - 1) {
        level.set(part, { setting });
        return;
      }
      let next = level.get(part);
      if (next === undefined) {
        next = { children: new Map() };
        level.set(part, next);
      }
      if (!('children' in next)) throw new Error(`schema: ${setting.yaml} nests under a setting`);
      level = next.children;
    });
  }
  return root;
}

const TREE = buildTree();

/** Every dotted path the file may contain, groups (wsgi, wsgi.tls) included. */
export const YAML_PATHS: readonly string[] = (() => {
  const out: string[] = [];
  const walk = (level: Map<string, Node>, prefix: string): void => {
    for (const [name, node] of level) {
      out.push(prefix + name);
      if ('children' in node) walk(node.children, `${prefix}${name}.`);
    }
  };
  walk(TREE, '');
  return out;
})();

/**
 * Reads and checks the config file at `path`; errors name it as `file` (as the
 * user gave it) and say where that came from (`fileOrigin`: --config or YIMMO_WSGI_CONFIG).
 */
export function readConfigFile(path: string, file: string, setting: AnySetting, fileOrigin: Origin): FileValues {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(
      'YW_CONFIG_FILE',
      `cannot read config file ${show(file)} (${nameIn(setting, fileOrigin)}, from ${whereText(fileOrigin)}): ${fsReason(err)}`,
    );
  }
  return parseConfigText(text, file);
}

/** Parses config file text; `file` names it in errors. */
export function parseConfigText(text: string, file: string): FileValues {
  const doc = yamlLib().parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  const problem = doc.errors[0];
  if (problem !== undefined) {
    const firstLine = problem.message.split('\n')[0] ?? problem.code;
    throw new ConfigError('YW_CONFIG_FILE', `invalid YAML in config file ${file}: ${firstLine.replace(/:$/, '')}`);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new ConfigError('YW_CONFIG_FILE', `invalid YAML in config file ${file}: ${errorText(err)}`);
  }
  const out = new Map<SettingKey, FileValue>();
  if (data === null || data === undefined) return out; // an empty file is an empty configuration
  if (!isMapping(data)) {
    throw new ConfigError(
      'YW_CONFIG_FILE',
      `invalid config file ${file}: the top level must be a mapping of settings, not ${kindOf(data)}`,
    );
  }
  collect(data, TREE, '', file, out);
  return out;
}

function collect(data: Record<string, unknown>, level: Map<string, Node>, prefix: string, file: string,
  out: Map<SettingKey, FileValue>): void {
  for (const [name, value] of Object.entries(data)) {
    const path = prefix + name;
    const node = level.get(name);
    if (node === undefined) {
      const hint = suggestion(name, path);
      throw new ConfigError(
        'YW_CONFIG_UNKNOWN_KEY',
        `unknown key ${show(path)} in config file ${file}${hint === undefined ? '' : ` (did you mean ${show(hint)}?)`}`,
      );
    }
    if ('setting' in node) {
      out.set(node.setting.key, { value, path });
      continue;
    }
    if (value === null) continue; // `tls:` with everything under it commented out
    if (!isMapping(value)) {
      throw new ConfigError(
        'YW_CONFIG_INVALID',
        `invalid ${path} ${show(value)} (from config file ${file}): must be a mapping of settings, not ${kindOf(value)}`,
      );
    }
    collect(value, node.children, `${path}.`, file, out);
  }
}

/** A misspelt key (wsgi.prot -> wsgi.port) or a right key at the wrong level (port -> wsgi.port). */
function suggestion(name: string, path: string): string | undefined {
  const misplaced = YAML_PATHS.filter((p) => p !== path && p.split('.').pop() === name);
  if (misplaced.length === 1) return misplaced[0];
  const prefix = path.slice(0, path.length - name.length);
  const siblings = YAML_PATHS.filter((p) => p.startsWith(prefix) && !p.slice(prefix.length).includes('.'));
  const near = didYouMean(name, siblings.map((p) => p.slice(prefix.length)));
  return near === undefined ? didYouMean(path, YAML_PATHS) : prefix + near;
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Map);
}

export function fsReason(err: unknown): string {
  const code = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return errorText(err);
  }
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
