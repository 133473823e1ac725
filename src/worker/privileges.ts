// --user / --group in a worker: once the port is bound (by the supervisor,
// itself or through the cluster module) and the TLS key read, the worker
// takes the unprivileged ids for good; its Python hosts are started with
// them from the first one (spawn's uid/gid).
import type { WorkerConfig } from '../ipc/contract';

export function dropPrivileges(p: WorkerConfig['privileges']): void {
  if (p.gid !== null) {
    // Supplementary groups first (that needs root), then the group, then the user.
    process.setgroups?.([p.gid, ...p.groups.filter((g) => g !== p.gid)]);
    process.setgid?.(p.gid);
  }
  if (p.uid !== null) process.setuid?.(p.uid);
}

/** spawn() options that start a host with the configured ids (none when not configured). */
export function hostIds(p: WorkerConfig['privileges']): { uid?: number; gid?: number } {
  return { ...(p.uid !== null ? { uid: p.uid } : {}), ...(p.gid !== null ? { gid: p.gid } : {}) };
}
