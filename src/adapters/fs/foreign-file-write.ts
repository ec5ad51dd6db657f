import { readFile, realpath, stat } from 'node:fs/promises';
import { PgfleetError } from '../../core/errors.js';
import { type AccessUser, userCanRead } from '../../core/os/file-permission.js';
import { writeFileAtomic } from './atomic-file.js';

export interface ForeignFileWriteOptions {
  /** The new content holds a secret: access by others is removed (owner and group bits are kept). */
  holdsSecret: boolean;
  /**
   * Who must still read the file afterwards (the running Patroni's uid and
   * groups): a write that would lock one out is refused, nothing written.
   */
  readers?: readonly AccessUser[];
  /** Checks the text read back from the temporary file (e.g. it parses); throwing leaves the old file untouched. */
  validate?: (writtenText: string) => void | Promise<void>;
}

export interface ForeignFileWrite {
  /** The file actually replaced: `path` through every symlink. */
  realPath: string;
  modeBefore: number;
  modeAfter: number;
  /** True when the mode was tightened: the caller reports it. */
  changedMode: boolean;
  owner: { uid: number; gid: number };
}

/**
 * Writes a file pgfleet did not generate without disturbing what it does not
 * own: through symlinks into the real file (the link stays a link), with
 * writeFileAtomic (temporary file in the real file's directory, fsync,
 * validation of what was written, rename), the original owner and group set
 * on the temporary file before the rename, the mode kept except that others
 * lose access when the file now holds a secret, and no header added.
 *
 * Refused before anything is written: a missing file, not a regular file, a
 * file with several hard links (the rename would leave the other names with
 * the old content), or a mode change that would stop a listed reader.
 */
export async function writeForeignFile(
  path: string,
  content: string,
  options: ForeignFileWriteOptions,
): Promise<ForeignFileWrite> {
  const realPath = await realpath(path).catch((error: NodeJS.ErrnoException) => {
    throw new PgfleetError('FOREIGN_FILE_MISSING', `${path}: cannot resolve the file (${error.code ?? 'error'})`, {
      hint: 'check the path; a dangling symlink points to a file that no longer exists',
    });
  });
  const info = await stat(realPath);
  if (!info.isFile()) throw new PgfleetError('FOREIGN_FILE_INVALID', `${realPath} is not a regular file`);
  if (info.nlink > 1) {
    throw new PgfleetError(
      'FOREIGN_FILE_HARD_LINKED',
      `${realPath} has ${info.nlink} hard links: replacing it would leave the other names with the old content`,
      {
        hint: 'replace the extra hard links by symlinks to this file, then run again',
      },
    );
  }
  const modeBefore = info.mode & 0o7777;
  const modeAfter = options.holdsSecret ? modeBefore & ~0o007 : modeBefore;
  const owner = { uid: info.uid, gid: info.gid };
  for (const reader of options.readers ?? []) {
    const verdict = userCanRead(
      [{ path: realPath, mode: modeAfter, uid: owner.uid, gid: owner.gid, isDirectory: false }],
      reader,
    );
    if (!verdict.ok) {
      throw new PgfleetError(
        'FOREIGN_FILE_READER_LOCKED_OUT',
        `${realPath}: removing access by others (mode ${octal(modeBefore)} → ${octal(modeAfter)}) would stop uid ${reader.uid} reading it, and it will hold a secret`,
        {
          hint: `give that user access through the owner or the group first (e.g. chgrp to its group), then run again`,
          details: { realPath, uid: reader.uid, modeBefore: octal(modeBefore), modeAfter: octal(modeAfter) },
        },
      );
    }
  }
  await writeFileAtomic(realPath, content, {
    mode: modeAfter,
    // Owner and group as they were: set on the temporary file, so the renamed file has them from its first instant.
    owner,
    validate: async (temporaryPath) => {
      const written = await readFile(temporaryPath, 'utf8');
      if (written !== content)
        throw new PgfleetError(
          'FOREIGN_FILE_WRITE_MISMATCH',
          `${realPath}: the temporary file does not read back as written`,
          { exitCode: 4 },
        );
      await options.validate?.(written);
    },
  }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'EPERM' && error.syscall === 'rename') {
      throw new PgfleetError(
        'FOREIGN_FILE_NOT_REPLACEABLE',
        `${realPath}: the file cannot be replaced (EPERM on rename: an immutable or append-only attribute, or a read-only mount)`,
        { hint: `check \`lsattr ${realPath}\` and the mount, then run again`, cause: error },
      );
    }
    if (error.code === 'EPERM') {
      throw new PgfleetError(
        'FOREIGN_FILE_OWNER_NOT_KEPT',
        `${realPath}: cannot give the new file its owner and group (${owner.uid}:${owner.gid}) as this user`,
        {
          hint: "run as root, or as the file's owner belonging to its group",
          cause: error,
        },
      );
    }
    throw error;
  });
  return { realPath, modeBefore, modeAfter, changedMode: modeAfter !== modeBefore, owner };
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}
