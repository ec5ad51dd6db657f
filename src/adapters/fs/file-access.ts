import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type AccessUser, type PathEntry, type ReadVerdict, userCanRead } from '../../core/os/file-permission.js';

/**
 * Whether the user with `uid` could read `path` (e.g. the Patroni user and a
 * certificate key), judged from modes and owners of the path and its parents:
 * pgfleet runs as root, so trying to open the file proves nothing.
 */
export async function readableByUid(path: string, uid: number): Promise<ReadVerdict> {
  const chain: PathEntry[] = [];
  const absolute = resolve(path);
  for (let current = absolute; ; current = dirname(current)) {
    const info = await stat(current).catch(() => undefined);
    if (!info) return { ok: false, blockedAt: current, reason: `${current} does not exist` };
    chain.unshift({ path: current, mode: info.mode, uid: info.uid, gid: info.gid, isDirectory: info.isDirectory() });
    if (current === dirname(current)) break;
  }
  return userCanRead(chain, await accessUser(uid));
}

/** The user's primary group (/etc/passwd) and supplementary groups (/etc/group). */
async function accessUser(uid: number): Promise<AccessUser> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  const entry = passwd
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields.length >= 7 && Number(fields[2]) === uid);
  if (!entry) return { uid, gids: [] };
  const [name, , , primary] = entry as [string, string, string, string];
  const groups = await readFile('/etc/group', 'utf8').catch(() => '');
  const supplementary = groups
    .split('\n')
    .map((line) => line.split(':'))
    .filter((fields) => fields.length >= 4 && fields[3]!.split(',').includes(name))
    .map((fields) => Number(fields[2]));
  return { uid, gids: [Number(primary), ...supplementary] };
}
