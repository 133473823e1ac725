// A process's resident memory, from /proc/PID/status (VmRSS): for --max-rss
// (the worker, of its hosts) and for the metrics and status page (the
// supervisor, of every process).
// Linux only: elsewhere (or for a process gone) the answer is undefined and
// nothing is recycled for memory.
import * as fs from 'node:fs';

export function residentBytes(pid: number): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  return parseVmRss(text);
}

/** The VmRSS line in bytes (the kernel writes it in kB, meaning KiB). */
export function parseVmRss(status: string): number | undefined {
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return match === null ? undefined : Number(match[1]) * 1024;
}
