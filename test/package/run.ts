// Runs a command to completion for the packaging tests: status and output,
// never throwing, bounded by a timeout (a hung build fails, it does not hang).
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';

export interface Ran {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function run(cmd: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Ran {
  const r = spawnSync(cmd, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 180_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const stderr = (r.stderr ?? '') + (r.error === undefined ? '' : `\n(${r.error.message})`);
  return { code: r.status, stdout: r.stdout ?? '', stderr };
}

/** Like run, but a non-zero exit is an error that shows the output. */
export function runOk(cmd: string, args: readonly string[], options: Parameters<typeof run>[2] = {}): Ran {
  const r = run(cmd, args, options);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The environment with this test's node first on PATH (what bin/yimmo-wsgi, npm and the pip launcher find), and no YIMMO_PYTHON, YIMMO_NODE or VIRTUAL_ENV. */
export function envWithThisNode(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env['PATH'] ?? ''}` };
  delete env['VIRTUAL_ENV'];
  delete env['YIMMO_PYTHON'];
  delete env['YIMMO_NODE'];
  // Set by an enclosing `npm test`; a nested npm must not inherit its prefix, lifecycle or config.
  for (const name of Object.keys(env)) if (name.toLowerCase().startsWith('npm_')) delete env[name];
  return { ...env, ...extra };
}
