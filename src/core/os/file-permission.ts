/**
 * Whether a user may read a file, from the modes and owners of the file and
 * of every directory above it (execute to pass through, read on the file).
 * Pure: the adapter stats the path. Root passes everything.
 */
export interface PathEntry {
  path: string;
  mode: number;
  uid: number;
  gid: number;
  isDirectory: boolean;
}

export interface AccessUser {
  uid: number;
  /** Primary and supplementary groups. */
  gids: readonly number[];
}

export type ReadVerdict = { ok: true } | { ok: false; blockedAt: string; reason: string };

/** `chain`: the directories from the root down, then the file itself last. */
export function userCanRead(chain: readonly PathEntry[], user: AccessUser): ReadVerdict {
  if (user.uid === 0) return { ok: true };
  for (const [index, entry] of chain.entries()) {
    const isTarget = index === chain.length - 1;
    const bits = permissionBits(entry, user);
    const needed = isTarget ? 0o4 : 0o1;
    if ((bits & needed) === 0) {
      const mode = (entry.mode & 0o777).toString(8).padStart(4, '0');
      return {
        ok: false,
        blockedAt: entry.path,
        reason: isTarget
          ? `${entry.path} (mode ${mode}) is not readable by uid ${user.uid}`
          : `directory ${entry.path} (mode ${mode}) cannot be entered by uid ${user.uid}`,
      };
    }
  }
  return { ok: true };
}

/** The rwx bits that apply to the user: owner's, else group's, else others'. */
function permissionBits(entry: PathEntry, user: AccessUser): number {
  if (entry.uid === user.uid) return (entry.mode >> 6) & 0o7;
  if (user.gids.includes(entry.gid)) return (entry.mode >> 3) & 0o7;
  return entry.mode & 0o7;
}
