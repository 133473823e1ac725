// `--version`: the server's version, the Node.js running it, and the Python
// that would run the app by default (what a bug report needs). Asking Python
// for its version is the only I/O; it is bounded and never fails the command.

import { spawnSync } from 'node:child_process';
import { findExecutable } from '../config/files';
import { defaultPython } from '../config/load';
import { versionText } from './help';

type Env = Readonly<Record<string, string | undefined>>;

const PROBE = 'import sys; print("%d.%d.%d" % sys.version_info[:3])';

/** The default Python's version and path, or why it cannot be asked. */
export function pythonVersionLine(env: Env): string {
  const wanted = defaultPython(env);
  const found = findExecutable(wanted, process.cwd(), env['PATH']);
  if ('reason' in found) return `Python: ${wanted} ${found.reason} (the default; set --python or YIMMO_PYTHON)`;
  const run = spawnSync(found.path, ['-c', PROBE], { encoding: 'utf8', timeout: 10_000, env: { ...env } });
  const version = (run.stdout ?? '').trim();
  if (run.status !== 0 || !/^\d+\.\d+\.\d+$/.test(version)) {
    const why = run.error !== undefined ? run.error.message : `exit ${String(run.status ?? run.signal)}`;
    return `Python: ${found.path} did not report its version (${why})`;
  }
  return `Python ${version} (${found.path}, the default)`;
}

export function versionsText(env: Env): string {
  return versionText() + `Node ${process.versions.node} (${process.execPath})\n` + pythonVersionLine(env) + '\n';
}
