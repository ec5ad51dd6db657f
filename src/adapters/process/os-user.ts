import { readFileSync } from 'node:fs';
import { PgfleetError } from '../../core/errors.js';

export interface OsUser {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

/** Looks a user up in /etc/passwd (Node has no getpwnam). */
export function lookupOsUser(name: string): OsUser | undefined {
  const passwd = readFileSync('/etc/passwd', 'utf8');
  for (const line of passwd.split('\n')) {
    const fields = line.split(':');
    if (fields[0] === name && fields.length >= 7) {
      return { name, uid: Number(fields[2]), gid: Number(fields[3]), home: fields[5] ?? '/' };
    }
  }
  return undefined;
}

/** The name of a group, from /etc/group (Node has no getgrgid). */
export function lookupOsGroupName(gid: number): string | undefined {
  const groups = readFileSync('/etc/group', 'utf8');
  for (const line of groups.split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 3 && fields[2] === String(gid)) return fields[0];
  }
  return undefined;
}

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

/**
 * The user Patroni and PostgreSQL run as: `postgres` when pgfleet runs as root
 * (PostgreSQL refuses to run as root), otherwise the invoking user (undefined:
 * no switch).
 */
export function serviceUser(name = 'postgres'): OsUser | undefined {
  if (!isRoot()) return undefined;
  const user = lookupOsUser(name);
  if (!user) {
    throw new PgfleetError(
      'SERVICE_USER_MISSING',
      `running as root, but the user "${name}" that Patroni and PostgreSQL must run as does not exist`,
      {
        hint: 'install the postgresql package (it creates the user), or run pgfleet as a non-root user',
      },
    );
  }
  return user;
}

/** User names by uid, from /etc/passwd (for naming file owners in messages). */
export function osUserNames(): Map<number, string> {
  const names = new Map<number, string>();
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const fields = line.split(':');
    if (fields.length >= 7 && !names.has(Number(fields[2]))) names.set(Number(fields[2]), fields[0]!);
  }
  return names;
}
