// What a reload (SIGHUP, or --reload seeing a file change) must replace, as
// a pure function of the running configuration and the new one. When they
// differ only in what a Python host takes when it starts (or not at all:
// the usual "new code, same settings"), every worker swaps its host under
// its open connections and nothing is closed; any other change needs new
// workers, rolled one at a time (src/supervisor/plan.ts).
import type { WorkerConfig } from '../ipc/contract';

type Key = keyof WorkerConfig;

/**
 * Settings a worker applies to its next host without a restart of its own:
 * the interpreter and app (and the title mode derived from the interpreter),
 * the log level (the worker sets its own too), the recycling limits (read at
 * each host's start) and --reload (watched by the supervisor).
 */
export const HOST_ONLY: ReadonlySet<Key> = new Set<Key>(['python', 'app', 'hostTitles', 'logLevel', 'recycle', 'reload']);

/**
 * The addresses, backlog and socket mode are pinned by the supervisor (it
 * keeps its listening sockets), so they never decide anything here; so is
 * whether it serves the admin endpoint (bound once, at start-up).
 */
const PINNED: ReadonlySet<Key> = new Set<Key>(['binds', 'backlog', 'unixSocketMode', 'adminEndpoint']);

export interface ReloadScope {
  readonly kind: 'hosts' | 'workers';
  /** The settings that differ (none: a code-only reload). */
  readonly changed: readonly Key[];
}

export function reloadScope(running: WorkerConfig, fresh: WorkerConfig): ReloadScope {
  const keys = new Set<Key>([...(Object.keys(running) as Key[]), ...(Object.keys(fresh) as Key[])]);
  const changed = [...keys].filter((k) => !PINNED.has(k) && !sameValue(running[k], fresh[k])).sort();
  return { kind: changed.every((k) => HOST_ONLY.has(k)) ? 'hosts' : 'workers', changed };
}

/** Deep equality of plain IPC data (what crosses the channel as JSON). */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}
