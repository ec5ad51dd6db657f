import { randomBytes } from 'node:crypto';
import { chown, mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { PgfleetError } from '../../core/errors.js';

export interface FileOwner {
  uid: number;
  gid: number;
}

export interface AtomicWriteOptions {
  /** File mode; secrets and Patroni YAML are 0o600. */
  mode: number;
  /** Mode of the parent directory when it has to be created. */
  dirMode?: number;
  /** Owner of the file (and of a created directory) when running as root. */
  owner?: FileOwner;
  /**
   * Called with the path of the fully written temporary file before it
   * replaces the target; throwing leaves the old file untouched.
   */
  validate?: (temporaryPath: string) => Promise<void>;
}

/**
 * Writes a file so that readers see either the old content or the new one,
 * never a half-written file: temp file in the same directory, fsync, optional
 * validation, rename, fsync of the directory.
 */
export async function writeFileAtomic(
  path: string,
  content: string | Uint8Array,
  options: AtomicWriteOptions,
): Promise<void> {
  const directory = dirname(path);
  await ensureDirectory(directory, options.dirMode ?? 0o750, options.owner);
  const temporaryPath = join(directory, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    const handle = await open(temporaryPath, 'wx', options.mode);
    try {
      await handle.writeFile(content);
      await handle.chmod(options.mode);
      if (options.owner) await handle.chown(options.owner.uid, options.owner.gid);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.validate) await options.validate(temporaryPath);
    await rename(temporaryPath, path);
  } catch (error) {
    await rm(temporaryPath, { force: true });
    throw error;
  }
  await syncDirectory(directory);
}

/** Creates a directory (and parents) with the given mode and owner if it does not exist. */
export async function ensureDirectory(path: string, mode: number, owner?: FileOwner): Promise<void> {
  const existing = await stat(path).catch(() => undefined);
  if (existing) {
    if (!existing.isDirectory()) {
      throw new PgfleetError('PATH_NOT_DIRECTORY', `${path} exists and is not a directory`, {
        hint: 'choose another path or remove the file',
      });
    }
    return;
  }
  await mkdir(path, { recursive: true, mode });
  if (owner) await chown(path, owner.uid, owner.gid);
}

async function syncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync().catch(() => undefined);
  } finally {
    await handle.close();
  }
}
