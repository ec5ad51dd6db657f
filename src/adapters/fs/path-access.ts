import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { OsUser } from '../process/os-user.js';

/**
 * The first existing ancestor of `path` (itself included) that `user` cannot
 * traverse, by its mode bits: where a service running as that user would
 * fail with "permission denied". Undefined when every one lets it through.
 */
export async function firstUntraversableAncestor(
  path: string,
  user: Pick<OsUser, 'uid' | 'gid'>,
): Promise<{ path: string; mode: number } | undefined> {
  for (let current = resolve(path); ; current = dirname(current)) {
    const info = await stat(current).catch(() => undefined);
    if (info) {
      const mode = info.mode;
      const passable =
        info.uid === user.uid
          ? (mode & 0o100) !== 0
          : info.gid === user.gid
            ? (mode & 0o010) !== 0
            : (mode & 0o001) !== 0;
      if (!passable) return { path: current, mode: mode & 0o777 };
    }
    if (current === dirname(current)) return undefined;
  }
}
