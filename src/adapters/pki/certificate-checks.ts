import type { ExtendedKeyUsage } from '../../core/pki/certificate-kind.js';
import {
  type CertificateCheck,
  type HostCoveredCheck,
  type KeyFilePrivateCheck,
  type KeyMatchCheck,
  type SignedByCaCheck,
  type UsageCheck,
  type ValidityCheck,
  evaluateHostCovered,
  evaluateKeyFilePrivate,
  evaluateKeyMatch,
  evaluateSignedByCa,
  evaluateUsage,
  evaluateValidity,
} from '../../core/pki/certificate-checks.js';
import type { CertificateInfo } from '../../core/pki/x509-text.js';
import {
  certificatePublicKey,
  fileMode,
  keyPublicKey,
  readCertificateInfo,
  verifySignedBy,
} from './certificate-files.js';

/**
 * Plan-time checks of certificate files (restapi certfile/keyfile/cafile,
 * ctl certificates, etcd certificates). Each returns a typed verdict; a
 * missing or unreadable file throws a PgfleetError, since no verdict can be
 * given. `certificateCheckError` / `assertCertificateChecks` (core) turn
 * failed verdicts into the error a plan stops with.
 */
export {
  assertCertificateChecks,
  certificateCheckError,
  type CertificateCheck,
} from '../../core/pki/certificate-checks.js';

/** The certificate and the key hold the same public key (`x509 -pubkey` vs `pkey -pubout`). */
export async function checkKeyMatch(certFile: string, keyFile: string): Promise<KeyMatchCheck> {
  const [certKey, keyKey] = await Promise.all([certificatePublicKey(certFile), keyPublicKey(keyFile)]);
  return evaluateKeyMatch(certFile, keyFile, certKey, keyKey);
}

/** The certificate is within its validity period at `now`. */
export async function checkValidity(
  certFile: string,
  now: Date = new Date(),
  role: 'certificate' | 'ca' = 'certificate',
): Promise<ValidityCheck> {
  return evaluateValidity(
    certFile,
    role,
    await readCertificateInfo(certFile, role === 'ca' ? 'CA certificate' : 'certificate'),
    now,
  );
}

/** `caFile` signed `certFile` (`openssl verify -CAfile`). */
export async function checkSignedByCa(certFile: string, caFile: string): Promise<SignedByCaCheck> {
  return evaluateSignedByCa(certFile, caFile, await verifySignedBy(certFile, caFile));
}

/** A client connecting to `host` (IP or DNS name) accepts the certificate's SANs. */
export async function checkHostCovered(certFile: string, host: string): Promise<HostCoveredCheck> {
  return evaluateHostCovered(certFile, await readCertificateInfo(certFile), host);
}

/** The certificate may be used as a TLS server (serverAuth) or client (clientAuth). */
export async function checkUsage(certFile: string, usage: ExtendedKeyUsage): Promise<UsageCheck> {
  return evaluateUsage(certFile, await readCertificateInfo(certFile), usage);
}

/** The key file is not readable by others. */
export async function checkKeyFilePrivate(keyFile: string): Promise<KeyFilePrivateCheck> {
  return evaluateKeyFilePrivate(keyFile, await fileMode(keyFile));
}

export interface CertificateFilesToCheck {
  certFile: string;
  keyFile?: string | undefined;
  caFile?: string | undefined;
  /** Addresses clients use to reach the server presenting certFile. */
  hosts?: readonly string[] | undefined;
  /** How certFile is used: serverAuth for restapi.certfile, clientAuth for ctl.certfile. */
  usage?: ExtendedKeyUsage | undefined;
  now?: Date | undefined;
}

/**
 * Every check that applies to a set of files, reading each certificate once:
 * validity (and the CA's), key match and key privacy, CA signature, usage,
 * one SAN check per host. Failures are verdicts, not exceptions.
 */
export async function checkCertificateFiles(files: CertificateFilesToCheck): Promise<CertificateCheck[]> {
  const now = files.now ?? new Date();
  const info: CertificateInfo = await readCertificateInfo(files.certFile);
  const checks: CertificateCheck[] = [evaluateValidity(files.certFile, 'certificate', info, now)];
  if (files.keyFile !== undefined) {
    checks.push(await checkKeyMatch(files.certFile, files.keyFile));
    checks.push(await checkKeyFilePrivate(files.keyFile));
  }
  if (files.caFile !== undefined) {
    checks.push(await checkValidity(files.caFile, now, 'ca'));
    checks.push(await checkSignedByCa(files.certFile, files.caFile));
  }
  if (files.usage !== undefined) checks.push(evaluateUsage(files.certFile, info, files.usage));
  for (const host of files.hosts ?? []) checks.push(evaluateHostCovered(files.certFile, info, host));
  return checks;
}
