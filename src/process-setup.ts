// What the supervisor does to its own process before it forks anything:
// umask, working directory, the app's Python path, the pid file, and the
// checks around --user/--group. Workers and hosts inherit all of it.
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { ConfigError, type Config } from './config/load';
import { log } from './log/logger';

interface PidFile {
  /** Writes our pid (once listening); the file is removed when the process exits. */
  write(): void;
}

export interface Prepared {
  /** Once the server listens: the pid file, and the warning about root (only then, so that a startup failure stays one line). */
  listening(): void;
}

/** Applies the process settings; throws ConfigError for a pid file held by a live process or ids we cannot take. */
export function prepareProcess(config: Config): Prepared {
  const pidFile = config.pidFile === null ? undefined : claimPidFile(config.pidFile);
  const uid = process.getuid?.() ?? -1;
  if ((config.user !== null && config.user.uid !== uid) || (config.group !== null && uid !== 0)) {
    if (uid !== 0) {
      const flag = config.user !== null ? `--user ${config.user.name}` : `--group ${config.group?.name ?? ''}`;
      throw new ConfigError('YW_CONFIG_INVALID', `${flag} needs the server to be started as root (running as uid ${uid})`);
    }
  }
  if (config.umask !== null) process.umask(config.umask);
  for (const [name, value] of Object.entries(config.env)) process.env[name] = value;
  if (config.pythonPath.length > 0) {
    // Python puts PYTHONPATH right after the script directory ('' for -c, the working directory).
    const existing = process.env['PYTHONPATH'];
    process.env['PYTHONPATH'] = [...config.pythonPath, ...(existing ? [existing] : [])].join(':');
  }
  if (config.chdir !== null) process.chdir(config.chdir);
  return {
    listening(): void {
      pidFile?.write();
      if (uid === 0 && config.user === null) {
        log.warning('running the application as root: start as another user, or pass --user to switch after binding');
      }
    },
  };
}

function claimPidFile(path: string): PidFile {
  let text = '';
  try {
    text = fs.readFileSync(path, 'utf8').trim();
  } catch {
    // no file (or unreadable: writing it will say so)
  }
  const pid = /^\d+$/.test(text) ? Number(text) : 0;
  if (pid > 0 && pid !== process.pid && isAlive(pid)) {
    throw new ConfigError('YW_CONFIG_INVALID', `--pid-file '${path}' names process ${pid}, which is running: is another yimmo-wsgi using it?`);
  }
  let written = false;
  process.on('exit', () => {
    if (!written) return;
    try {
      // Only our own file: a successor may have replaced it.
      if (fs.readFileSync(path, 'utf8').trim() === String(process.pid)) fs.unlinkSync(path);
    } catch {
      // already gone
    }
  });
  return {
    write(): void {
      try {
        fs.writeFileSync(path, `${process.pid}\n`);
        written = true;
      } catch (err) {
        log.error(`cannot write --pid-file '${path}': ${(err as Error).message}`);
      }
    },
  };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `python` learns its own path from PYTHONEXECUTABLE (CPython >= 3.11
 * on Linux), which a host needs when argv[0] carries a process title. One
 * short run of the interpreter at startup; any failure means no.
 */
export function readsExecutableVariable(python: string): boolean {
  const r = spawnSync(python, ['-c', 'import sys; print(sys.version_info >= (3, 11) and sys.platform == "linux")'], {
    encoding: 'utf8', timeout: 10_000, stdio: ['ignore', 'pipe', 'ignore'],
  });
  return r.status === 0 && r.stdout.trim() === 'True';
}
