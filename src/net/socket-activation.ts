// systemd socket activation (sd_listen_fds(3)): a service started by a socket
// unit (or by systemd-socket-activate) inherits its listening sockets as
// descriptors 3, 4, ... with LISTEN_FDS=N, LISTEN_PID=<our pid> and, when the
// unit names them, LISTEN_FDNAMES=name1:name2. Pure: the caller passes the
// environment and the pid, and removes the variables so that no child (a
// worker, a Python host, the app's subprocesses) believes they are its own.
import type { Bind } from './bind-spec';

export const SD_LISTEN_FDS_START = 3;
export const ACTIVATION_VARIABLES = ['LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES'] as const;

/** The inherited sockets, in order; empty when the variables are absent or meant for another process. */
export function inheritedSockets(env: Readonly<Record<string, string | undefined>>, pid: number): Bind[] {
  const fds = env['LISTEN_FDS'];
  const forPid = env['LISTEN_PID'];
  if (fds === undefined || !/^\d+$/.test(fds)) return [];
  // As sd_listen_fds: LISTEN_PID must name us (a variable left over from a parent is not for us).
  if (forPid === undefined || !/^\d+$/.test(forPid) || Number(forPid) !== pid) return [];
  const count = Math.min(Number(fds), 1024);
  const names = (env['LISTEN_FDNAMES'] ?? '').split(':');
  return Array.from({ length: count }, (_, i) => {
    const name = names[i] ?? '';
    // systemd's default name for an unnamed socket is "unknown": it says nothing.
    return { kind: 'fd', fd: SD_LISTEN_FDS_START + i, name: name === 'unknown' ? '' : name } as const;
  });
}
