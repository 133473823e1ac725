// Users and groups for --user / --group, from /etc/passwd and /etc/group
// (Node has no getpwnam). Read once, at startup, by the config loader: the
// workers get numeric ids.
import { readFileSync } from 'node:fs';

export interface Account {
  readonly name: string;
  readonly uid: number;
  /** Primary group. */
  readonly gid: number;
}

function entries(file: string): string[][] {
  try {
    return readFileSync(file, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#')).map((l) => l.split(':'));
  } catch {
    return [];
  }
}

/** A user by name or numeric uid; undefined when the system does not know it. */
export function findUser(text: string, passwd = '/etc/passwd'): Account | undefined {
  const numeric = /^\d+$/.test(text);
  for (const [name = '', , uid = '', gid = ''] of entries(passwd)) {
    if (numeric ? uid === text : name === text) return { name, uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** A group by name or numeric gid. */
export function findGroup(text: string, group = '/etc/group'): { readonly name: string; readonly gid: number } | undefined {
  const numeric = /^\d+$/.test(text);
  for (const [name = '', , gid = ''] of entries(group)) {
    if (numeric ? gid === text : name === text) return { name, gid: Number(gid) };
  }
  return undefined;
}

/** The gids of the groups that list `user` as a member (its supplementary groups, as initgroups(3) finds them). */
export function memberOf(user: string, group = '/etc/group'): number[] {
  return entries(group).filter(([, , , members = '']) => members.split(',').includes(user)).map(([, , gid = '']) => Number(gid));
}
