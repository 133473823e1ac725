// Resident memory of a process, from /proc/PID/status (Linux). The metrics
// and the status page show it for the supervisor, each worker and each host.
import * as fs from 'node:fs';

/** VmRSS in bytes; undefined when the process is gone or /proc is not there. */
export function residentBytes(pid: number): number | undefined {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
  } catch {
    return undefined;
  }
  const match = /^VmRSS:\s+(\d+)\s+kB$/m.exec(text);
  return match === null ? undefined : Number(match[1]) * 1024;
}
