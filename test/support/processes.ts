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
