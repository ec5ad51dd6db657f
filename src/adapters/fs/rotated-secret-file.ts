import { rm, stat } from 'node:fs/promises';
import { PgfleetError } from '../../core/errors.js';
import type { Secret } from '../../core/secret.js';
import { generatePassword, readSecretFile, writeSecretFile } from './secret-file.js';

/**
 * A 0600 secret file during a rotation: the new secret replaces the old one
 * in `<file>` (same owner), and the old one is kept in `<file>.previous`
 * (0600) until the rotation ends, so that a rollback (from this run or a
 * later one) can put it back.
 */
export function previousSecretFile(file: string): string {
  return `${file}.previous`;
}

/** Keeps the current secret as `.previous` (unless one is already kept) and writes a new one; returns both. */
export async function stageNewSecret(file: string, what: string): Promise<{ previous: Secret; fresh: Secret }> {
  const owner = await ownerOf(file);
  const kept = await readPreviousSecret(file, what);
  const previous = kept ?? (await readSecretFile(file, what));
  if (!kept) await writeSecretFile(previousSecretFile(file), previous, owner);
  const fresh = generatePassword();
  await writeSecretFile(file, fresh, owner);
  return { previous, fresh };
}

/** The secret kept by a rotation under way on this host, if any. */
export async function readPreviousSecret(file: string, what: string): Promise<Secret | undefined> {
  const previous = previousSecretFile(file);
  if (!(await stat(previous).catch(() => undefined))) return undefined;
  return readSecretFile(previous, `previous ${what}`);
}

/** Keeps `secret` as the previous one (a host that got the new file by copy keeps what its members held). */
export async function keepPreviousSecret(file: string, secret: Secret): Promise<void> {
  await writeSecretFile(previousSecretFile(file), secret, await ownerOf(file));
}

/** Puts the kept secret back into the file and removes `.previous`. */
export async function restorePreviousSecret(file: string, what: string): Promise<Secret> {
  const previous = await readPreviousSecret(file, what);
  if (!previous)
    throw new PgfleetError(
      'ROTATION_PREVIOUS_SECRET_MISSING',
      `${previousSecretFile(file)} is not on this host: the previous ${what} cannot be put back from here`,
      {
        hint: 'roll back on the host that ran the rotation (its status names it)',
        exitCode: 4,
      },
    );
  await writeSecretFile(file, previous, await ownerOf(file));
  await rm(previousSecretFile(file), { force: true });
  return previous;
}

/** The rotation ended: the old secret is no longer needed. */
export async function discardPreviousSecret(file: string): Promise<void> {
  await rm(previousSecretFile(file), { force: true });
}

async function ownerOf(file: string): Promise<{ uid: number; gid: number } | undefined> {
  const info = await stat(file).catch(() => undefined);
  return info ? { uid: info.uid, gid: info.gid } : undefined;
}
