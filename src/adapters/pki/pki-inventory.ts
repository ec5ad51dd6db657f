import { readdir, stat } from 'node:fs/promises';
import { describeError, isPgfleetError } from '../../core/errors.js';
import { type CertificateKind, LEAF_KINDS } from '../../core/pki/certificate-kind.js';
import { certificateValidity } from '../../core/pki/certificate-validity.js';
import type { PkiEntry, PkiInventory } from '../../core/pki/pki-report.js';
import { type CertificateFiles, caFiles, kindDirectory, leafFiles } from '../../core/pki/pki-layout.js';
import { formatSubjectAltName } from '../../core/pki/subject-alt-name.js';
import { readCertificateInfo } from './certificate-files.js';
import { assertPkiDirectoryExists } from './pki-directory.js';

export type { PkiEntry, PkiInventory };

/** Lists the CA and every issued certificate under `dir` (kind folders, `*.crt`). */
export async function readPkiInventory(dir: string, now: Date = new Date()): Promise<PkiInventory> {
  await assertPkiDirectoryExists(dir);
  const ca = caFiles(dir);
  const caEntry =
    (await exists(ca.certFile)) || (await exists(ca.keyFile)) ? await entryFor('ca', 'ca', ca, now) : undefined;
  const certificates: PkiEntry[] = [];
  for (const kind of LEAF_KINDS) {
    const names = await readdir(kindDirectory(dir, kind)).catch(() => [] as string[]);
    const stems = new Set(
      names
        .filter((file) => !file.startsWith('.') && (file.endsWith('.crt') || file.endsWith('.key')))
        .map((file) => file.slice(0, -4)),
    );
    for (const name of [...stems].sort())
      certificates.push(await entryFor(kind, name, leafFiles(dir, kind, name), now));
  }
  return { dir, ca: caEntry, certificates };
}

async function entryFor(kind: CertificateKind, name: string, files: CertificateFiles, now: Date): Promise<PkiEntry> {
  const keyInfo = await stat(files.keyFile).catch(() => undefined);
  const key: PkiEntry['key'] = !keyInfo ? 'missing' : (keyInfo.mode & 0o007) !== 0 ? 'readable-by-others' : 'present';
  const base: PkiEntry = { kind, name, certFile: files.certFile, keyFile: files.keyFile, key };
  if (!(await exists(files.certFile))) return { ...base, error: 'certificate file missing' };
  try {
    const info = await readCertificateInfo(files.certFile);
    const validity = certificateValidity(info, now);
    return {
      ...base,
      subject: info.subject,
      issuer: info.issuer,
      subjectAltNames: info.subjectAltNames.map(formatSubjectAltName),
      extendedKeyUsages: info.extendedKeyUsages.map(String),
      ...(info.serial ? { serial: info.serial } : {}),
      notBefore: info.notBefore.toISOString(),
      notAfter: info.notAfter.toISOString(),
      daysLeft: validity.daysLeft,
      state: validity.state,
      expiresSoon: validity.expiresSoon,
    };
  } catch (error) {
    if (!isPgfleetError(error)) throw error;
    return { ...base, error: describeError(error) };
  }
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
