import { createHash } from 'node:crypto';
import type { Secret } from '../../core/secret.js';
import {
  discardPreviousSecret,
  keepPreviousSecret,
  previousSecretFile,
  readPreviousSecret,
  restorePreviousSecret,
  stageNewSecret,
} from '../../adapters/fs/rotated-secret-file.js';

/**
 * A tenant's password file during a rotation (adapters/fs/rotated-secret-file):
 * the new password in `<file>`, the old one in `<file>.previous` until the
 * run ends.
 */
export const previousPasswordFile = previousSecretFile;
export const discardPreviousPassword = discardPreviousSecret;
export const keepPreviousPassword = keepPreviousSecret;

const what = (user: string): string => `password of etcd user ${user}`;

export function stageNewPassword(passwordFile: string, user: string): Promise<{ previous: Secret; fresh: Secret }> {
  return stageNewSecret(passwordFile, what(user));
}

export function readPreviousPassword(passwordFile: string, user: string): Promise<Secret | undefined> {
  return readPreviousSecret(passwordFile, what(user));
}

export function restorePreviousPassword(passwordFile: string, user: string): Promise<Secret> {
  return restorePreviousSecret(passwordFile, what(user));
}

/** What a readiness record carries instead of a password: SHA-256 of user and password (the password is random). */
export function passwordFingerprint(user: string, password: Secret): string {
  return createHash('sha256').update(`pgfleet-rotation\0${user}\0${password.reveal()}`).digest('hex');
}
