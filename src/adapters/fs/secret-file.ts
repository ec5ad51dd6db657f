import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { PgfleetError } from '../../core/errors.js';
import { Secret } from '../../core/secret.js';
import { type FileOwner, writeFileAtomic } from './atomic-file.js';

/**
 * Reads a secret from a file. Refuses a file that group or others can read,
 * as ssh does with keys: a readable password file is already a leak.
 * A single trailing newline is dropped (files written by `echo`).
 */
export async function readSecretFile(path: string, what: string): Promise<Secret> {
  const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
    throw new PgfleetError('SECRET_FILE_MISSING', `${what}: cannot read ${path} (${error.code ?? 'error'})`, {
      hint: `create it with mode 0600, e.g. install -m 600 /dev/null ${path} and write the secret into it`,
    });
  });
  if (!info.isFile()) {
    throw new PgfleetError('SECRET_FILE_INVALID', `${what}: ${path} is not a regular file`);
  }
  if ((info.mode & 0o077) !== 0) {
    throw new PgfleetError(
      'SECRET_FILE_PERMISSIONS',
      `${what}: ${path} has mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}, readable by group or others`,
      { hint: `chmod 600 ${path}` },
    );
  }
  const raw = await readFile(path, 'utf8');
  const value = raw.endsWith('\r\n') ? raw.slice(0, -2) : raw.endsWith('\n') ? raw.slice(0, -1) : raw;
  if (value.length === 0) {
    throw new PgfleetError('SECRET_FILE_EMPTY', `${what}: ${path} is empty`, {
      hint: 'write the secret into the file',
    });
  }
  return new Secret(value);
}

/** Writes a secret to a 0600 file, atomically. */
export async function writeSecretFile(path: string, secret: Secret, owner?: FileOwner): Promise<void> {
  await writeFileAtomic(path, `${secret.reveal()}\n`, { mode: 0o600, dirMode: 0o700, ...(owner ? { owner } : {}) });
}

/** A long random password: 32 bytes, URL-safe base64 (no YAML-special characters). */
export function generatePassword(): Secret {
  return new Secret(randomBytes(32).toString('base64url'));
}
