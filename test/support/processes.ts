// Process-tree probes for supervision tests: a process's children, whether a
// pid is alive, and a bounded retry loop.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';

/** Direct children of `pid` (pgrep -P). */
export function children(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)]).toString().trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** A zombie (state Z) has exited; only its parent's wait() is missing. */
export function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Whether `pid` is stopped (state T: a SIGTTIN/SIGTTOU/SIGTSTP default action). */
export function stopped(pid: number): boolean {
  try {
    return /^\d+ \(.*\) [Tt]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Retries `probe` every 100 ms until it resolves or `timeoutMs` passes (then rethrows its last error). */
export async function eventually<T>(probe: () => Promise<T>, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** TCP ports in LISTEN state held by any of `pids` (from /proc, IPv4 and IPv6). */
export function listeningPorts(pids: readonly number[]): Set<number> {
  const listening = new Map<string, number>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of fs.readFileSync(file, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f[3] === '0A' && f[1] !== undefined && f[9] !== undefined) listening.set(f[9], parseInt(f[1].split(':')[1] ?? '0', 16));
    }
  }
  const ports = new Set<number>();
  for (const pid of pids) {
    let fds: string[] = [];
    try {
      fds = fs.readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const inode = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`))?.[1];
        const port = inode === undefined ? undefined : listening.get(inode);
        if (port !== undefined) ports.add(port);
      } catch {
        // the fd closed meanwhile
      }
    }
  }
  return ports;
}
