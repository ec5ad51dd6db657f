import { createHash } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { PgfleetError } from '../../core/errors.js';
import type { Secret } from '../../core/secret.js';
import { generatePassword, readSecretFile, writeSecretFile } from '../../adapters/fs/secret-file.js';

/**
 * A tenant's password file during a rotation: the new password replaces the
 * old one in `<file>` (0600, same owner), and the old one is kept in
 * `<file>.previous` (0600) until the run ends, so that a rollback, from this
 * run or a later one, can put it back.
 */
export function previousPasswordFile(passwordFile: string): string {
  return `${passwordFile}.previous`;
}

/** Keeps the current password as `.previous` (unless a `.previous` is already there) and writes a new one; returns both. */
export async function stageNewPassword(
  passwordFile: string,
  user: string,
  current?: Secret,
): Promise<{ previous: Secret; fresh: Secret }> {
  const owner = await ownerOf(passwordFile);
  const previousFile = previousPasswordFile(passwordFile);
  const kept = await readPreviousPassword(passwordFile, user);
  const previous = kept ?? current ?? (await readSecretFile(passwordFile, `password of etcd user ${user}`));
  if (!kept) await writeSecretFile(previousFile, previous, owner);
  const fresh = generatePassword();
  await writeSecretFile(passwordFile, fresh, owner);
  return { previous, fresh };
}

/** The password kept by a rotation under way on this host, if any. */
export async function readPreviousPassword(passwordFile: string, user: string): Promise<Secret | undefined> {
  const file = previousPasswordFile(passwordFile);
  if (!(await stat(file).catch(() => undefined))) return undefined;
  return readSecretFile(file, `previous password of etcd user ${user}`);
}

/** Puts the kept password back into the tenant's file and removes `.previous`. */
export async function restorePreviousPassword(passwordFile: string, user: string): Promise<Secret> {
  const previous = await readPreviousPassword(passwordFile, user);
  if (!previous)
    throw new PgfleetError(
      'ROTATION_PREVIOUS_PASSWORD_MISSING',
      `${previousPasswordFile(passwordFile)} is not on this host: the old password of ${user} cannot be put back from here`,
      {
        hint: 'run the rollback on the host that coordinated the rotation (`pgfleet etcd tenants rotate --status` names it)',
        exitCode: 4,
      },
    );
  await writeSecretFile(passwordFile, previous, await ownerOf(passwordFile));
  await rm(previousPasswordFile(passwordFile), { force: true });
  return previous;
}

/** The run ended: the old password is no longer needed. */
export async function discardPreviousPassword(passwordFile: string): Promise<void> {
  await rm(previousPasswordFile(passwordFile), { force: true });
}

/** What a readiness record carries instead of a password: SHA-256 of user and password (the password is random). */
export function passwordFingerprint(user: string, password: Secret): string {
  return createHash('sha256').update(`pgfleet-rotation\0${user}\0${password.reveal()}`).digest('hex');
}

async function ownerOf(file: string): Promise<{ uid: number; gid: number } | undefined> {
  const info = await stat(file).catch(() => undefined);
  return info ? { uid: info.uid, gid: info.gid } : undefined;
}
