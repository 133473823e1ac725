// What --check-config and --print-config print: the effective configuration,
// each value in the unit its sources use (seconds, sizes with a suffix).
import { yamlLib } from '../config/yaml-lib';
import type { Config } from '../config/load';
import { showBind, type Bind } from '../net/bind-spec';
import { ALL_SETTINGS, formatSize, type AnySetting } from '../config/schema';

type Shown = string | number | boolean | null;

/** A Config value as a person (or the config file) writes it. */
function sourceValue(s: AnySetting, config: Config): Shown {
  const raw: unknown = config[s.key];
  // Settings whose Config value is richer than the text they were given.
  if (s.key === 'bind') return config.bind.length === 0 ? null : config.bind.map((b) => showBind(b)).join(',');
  // Comma lists, but one file per line for a repeatable file setting (a path may hold a comma).
  if (Array.isArray(raw)) return raw.length === 0 ? null : raw.join(s.type === 'string' && s.check === 'file-list' ? '\n' : ',');
  if (s.key === 'env') {
    const entries = Object.entries(config.env);
    return entries.length === 0 ? null : entries.map(([k, v]) => `${k}=${v}`).join('\n');
  }
  if (s.key === 'rootPath' && config.rootPath === '') return null; // '' is no root path, not a path
  if (s.key === 'user' || s.key === 'group') return config[s.key]?.name ?? null;
  if (s.key === 'umask' && config.umask !== null) return config.umask.toString(8).padStart(3, '0');
  if (s.key === 'unixSocketMode' && config.unixSocketMode !== null) return config.unixSocketMode.toString(8).padStart(3, '0');
  const value = raw as Shown;
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (s.type === 'seconds') return value / 1000;
  if (s.type === 'size') return formatSize(value);
  return value;
}

/** The addresses the server would listen on (src/config/binds.ts), for --check-config. */
export interface CheckedBinds {
  readonly binds: readonly Bind[];
  /** resolveBinds's warnings (inherited sockets left unused). */
  readonly warnings: readonly string[];
  /** What an inherited socket is bound to ('' when unknown): src/cli/inherited-address.ts. */
  readonly addressOf: (fd: number) => string;
}

/** One line per address, `address  (origin)`: an inherited socket (fd://N) with what it is bound to. */
function bindRows(config: Config, checked: CheckedBinds): [string, string][] {
  return checked.binds.map((b): [string, string] => {
    if (b.kind === 'fd') {
      const address = checked.addressOf(b.fd);
      const origin = config.bind.length > 0 ? `${config.sources.bind}, inherited` : 'inherited: systemd socket activation, LISTEN_FDS';
      return [address === '' ? showBind(b) : `${showBind(b)} = ${address}`, origin];
    }
    if (config.bind.length > 0) return [showBind(b), config.sources.bind];
    return [showBind(b), `--host: ${config.sources.host}, --port: ${config.sources.port}`];
  });
}

/** --check-config: one line per setting, `name  value  (origin)`, aligned; then the addresses it would listen on. */
export function checkReport(config: Config, checked?: CheckedBinds): string {
  const rows = ALL_SETTINGS.map((s) => {
    const value = sourceValue(s, config);
    const name = s.flag !== undefined ? `--${s.flag}` : s.key === 'module' || s.key === 'app' ? s.key.toUpperCase() : (s.env ?? s.key);
    return [name, value === null ? '(not set)' : typeof value === 'string' ? JSON.stringify(value) : String(value), config.sources[s.key]];
  });
  const w0 = Math.max(...rows.map((r) => (r[0] ?? '').length));
  const w1 = Math.max(...rows.map((r) => (r[1] ?? '').length));
  const lines = rows.map(([name = '', value = '', origin = '']) => `  ${name.padEnd(w0)}  ${value.padEnd(w1)}  (${origin})`);
  const warnings = [...config.warnings, ...(checked?.warnings ?? [])].map((w) => `warning: ${w}`);
  const addresses = checked === undefined ? [] : bindRows(config, checked);
  const wa = Math.max(0, ...addresses.map((r) => r[0].length));
  const listening = addresses.length === 0 ? [] : ['listening on:', ...addresses.map(([address, origin]) => `  ${address.padEnd(wa)}  (${origin})`)];
  return ['yimmo-wsgi: configuration OK', ...warnings, ...lines, ...listening, ''].join('\n');
}

/** --print-config: a YAML config file that yields the same configuration (unset values are left out). */
export function printConfig(config: Config): string {
  const root: Record<string, unknown> = {};
  for (const s of ALL_SETTINGS) {
    if (s.yaml === undefined) continue;
    const value = sourceValue(s, config);
    if (value === null) continue;
    const parts = s.yaml.split('.');
    let level = root;
    for (const part of parts.slice(0, -1)) {
      const next = level[part];
      const group = typeof next === 'object' && next !== null ? (next as Record<string, unknown>) : {};
      level[part] = group;
      level = group;
    }
    level[parts[parts.length - 1] ?? s.yaml] = value;
  }
  return `# yimmo-wsgi effective configuration\n${yamlLib().stringify(root)}`;
}
