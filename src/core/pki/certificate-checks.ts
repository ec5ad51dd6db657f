import { ExitCode, PgfleetError } from '../errors.js';
import { type ExtendedKeyUsage, OPENSSL_EKU_NAMES } from './certificate-kind.js';
import { type CertificateValidity, certificateValidity, describeValidity } from './certificate-validity.js';
import { formatSubjectAltName, hostCoverage } from './subject-alt-name.js';
import type { VerifyVerdict } from './verify-output.js';
import type { CertificateInfo } from './x509-text.js';

/**
 * Plan-time checks of certificate files, as verdicts computed from what
 * openssl printed. A failed check carries the error code, a message naming
 * the file, and a hint; `certificateCheckError` turns it into a PgfleetError.
 */
interface CheckBase {
  ok: boolean;
  /** One line, naming the file, for both outcomes. */
  message: string;
  /** Failed checks only. */
  code?: string;
  hint?: string;
  /** A passed check that still deserves attention (expires soon). */
  warning?: string;
}

export interface KeyMatchCheck extends CheckBase {
  check: 'key-match';
  certFile: string;
  keyFile: string;
}

export interface ValidityCheck extends CheckBase {
  check: 'validity';
  /** The certificate itself, or the CA given with it. */
  role: 'certificate' | 'ca';
  certFile: string;
  validity: CertificateValidity;
}

export interface SignedByCaCheck extends CheckBase {
  check: 'signed-by-ca';
  certFile: string;
  caFile: string;
  reason: string | undefined;
}

export interface HostCoveredCheck extends CheckBase {
  check: 'host-covered';
  certFile: string;
  host: string;
  subjectAltNames: string[];
}

export interface UsageCheck extends CheckBase {
  check: 'usage';
  certFile: string;
  usage: ExtendedKeyUsage;
  extendedKeyUsages: string[];
}

export interface KeyFilePrivateCheck extends CheckBase {
  check: 'key-file-private';
  keyFile: string;
  mode: string;
}

export type CertificateCheck =
  KeyMatchCheck | ValidityCheck | SignedByCaCheck | HostCoveredCheck | UsageCheck | KeyFilePrivateCheck;

/** Compares the public key inside the certificate with the one derived from the key file (both PEM). */
export function evaluateKeyMatch(
  certFile: string,
  keyFile: string,
  certPublicKeyPem: string,
  keyPublicKeyPem: string,
): KeyMatchCheck {
  const ok =
    normalizePem(certPublicKeyPem) === normalizePem(keyPublicKeyPem) && normalizePem(certPublicKeyPem).length > 0;
  return ok
    ? { check: 'key-match', ok, certFile, keyFile, message: `${certFile} matches its key ${keyFile}` }
    : {
        check: 'key-match',
        ok,
        certFile,
        keyFile,
        code: 'PKI_KEY_MISMATCH',
        message: `${certFile} does not match the key ${keyFile}: the certificate holds another public key`,
        hint: 'point keyfile at the key the certificate was issued for, or issue the certificate again for this key (pgfleet pki issue ... --force issues both)',
      };
}

export function evaluateValidity(
  certFile: string,
  role: 'certificate' | 'ca',
  info: Pick<CertificateInfo, 'notBefore' | 'notAfter'>,
  now: Date,
): ValidityCheck {
  const validity = certificateValidity(info, now);
  const what = role === 'ca' ? `the CA ${certFile}` : certFile;
  const described = describeValidity(validity, now);
  if (validity.state === 'valid') {
    return {
      check: 'validity',
      role,
      certFile,
      validity,
      ok: true,
      message: `${what} ${described}`,
      ...(validity.expiresSoon ? { warning: `${what} ${described}: renew it soon` } : {}),
    };
  }
  const renew =
    role === 'ca'
      ? 'create a new CA and issue every certificate again from it (pgfleet pki init --dir NEW_DIR)'
      : 'issue a new certificate (pgfleet pki issue ... --force, or from your own CA)';
  return {
    check: 'validity',
    role,
    certFile,
    validity,
    ok: false,
    code:
      validity.state === 'expired'
        ? role === 'ca'
          ? 'PKI_CA_EXPIRED'
          : 'PKI_CERT_EXPIRED'
        : role === 'ca'
          ? 'PKI_CA_NOT_YET_VALID'
          : 'PKI_CERT_NOT_YET_VALID',
    message: `${what} ${described}`,
    hint:
      validity.state === 'expired'
        ? renew
        : "check this machine's clock (timedatectl), or wait until the start date; TLS peers refuse it until then",
  };
}

export function evaluateSignedByCa(certFile: string, caFile: string, verdict: VerifyVerdict): SignedByCaCheck {
  if (verdict.ok)
    return {
      check: 'signed-by-ca',
      ok: true,
      certFile,
      caFile,
      reason: undefined,
      message: `${certFile} is signed by the CA ${caFile}`,
    };
  return {
    check: 'signed-by-ca',
    ok: false,
    certFile,
    caFile,
    reason: verdict.reason,
    code: 'PKI_CERT_NOT_SIGNED_BY_CA',
    message: `${certFile} is not signed by the CA ${caFile}${verdict.reason ? ` (openssl verify: ${verdict.reason})` : ''}`,
    hint: 'give the CA that issued this certificate (cafile/cacert), or issue the certificate again from this CA',
  };
}

export function evaluateHostCovered(
  certFile: string,
  info: Pick<CertificateInfo, 'subjectAltNames'>,
  host: string,
): HostCoveredCheck {
  const coverage = hostCoverage(host, info.subjectAltNames);
  const subjectAltNames = info.subjectAltNames.map(formatSubjectAltName);
  const listed = subjectAltNames.length > 0 ? subjectAltNames.join(', ') : 'none';
  if (coverage.covered) {
    return {
      check: 'host-covered',
      ok: true,
      certFile,
      host,
      subjectAltNames,
      message: `${certFile} covers ${host} (${coverage.matchedBy})`,
    };
  }
  return {
    check: 'host-covered',
    ok: false,
    certFile,
    host,
    subjectAltNames,
    code: 'PKI_SAN_MISSING_HOST',
    message: `${certFile} does not cover ${coverage.kind === 'ip' ? 'the address' : 'the host name'} ${host}: its subjectAltNames are ${listed}`,
    hint: `issue it again with every address clients use, e.g. pgfleet pki issue server NAME --san ${host} ... --force (clients check ${coverage.kind === 'ip' ? 'an IP against IP entries' : 'a name against DNS entries'} only)`,
  };
}

export function evaluateUsage(
  certFile: string,
  info: Pick<CertificateInfo, 'extendedKeyUsages'>,
  usage: ExtendedKeyUsage,
): UsageCheck {
  const extendedKeyUsages = info.extendedKeyUsages.map(String);
  // No extendedKeyUsage extension at all means any usage (RFC 5280).
  const ok = extendedKeyUsages.length === 0 || extendedKeyUsages.includes(usage);
  const role = usage === 'serverAuth' ? 'a TLS server' : 'a TLS client';
  if (ok)
    return {
      check: 'usage',
      ok,
      certFile,
      usage,
      extendedKeyUsages,
      message: `${certFile} may be used by ${role} (${usage})`,
    };
  return {
    check: 'usage',
    ok,
    certFile,
    usage,
    extendedKeyUsages,
    code: 'PKI_CERT_WRONG_USAGE',
    message: `${certFile} may not be used by ${role}: its extendedKeyUsage is ${extendedKeyUsages.join(', ')}, without ${OPENSSL_EKU_NAMES[usage]}`,
    hint:
      usage === 'serverAuth'
        ? 'use a server (or peer) certificate here: pgfleet pki issue server NAME --san ...'
        : 'use a client (or peer) certificate here: pgfleet pki issue client NAME',
  };
}

/** Key files: no access for others, and at most read for the group (PostgreSQL's rule for ssl_key_file). */
export function evaluateKeyFilePrivate(keyFile: string, mode: number): KeyFilePrivateCheck {
  const permissions = mode & 0o777;
  const text = permissions.toString(8).padStart(4, '0');
  const ok = (permissions & 0o037) === 0;
  if (ok)
    return { check: 'key-file-private', ok, keyFile, mode: text, message: `${keyFile} is private (mode ${text})` };
  return {
    check: 'key-file-private',
    ok,
    keyFile,
    mode: text,
    code: 'PKI_KEY_FILE_READABLE',
    message: `${keyFile} has mode ${text}: other users can read or change the private key`,
    hint: `chmod 600 ${keyFile} (0640 if a service group must read it), and issue a new key if it may have been copied`,
  };
}

/** The error for a failed check (undefined when it passed): what a plan stops with. */
export function certificateCheckError(check: CertificateCheck): PgfleetError | undefined {
  if (check.ok) return undefined;
  const { message, code, hint, ok: _ok, warning: _warning, ...details } = check;
  return new PgfleetError(code ?? 'PKI_CHECK_FAILED', message, {
    hint,
    exitCode: ExitCode.usage,
    details: details as Record<string, unknown>,
  });
}

/** Throws the error of the first failed check; every check is still in the error's details. */
export function assertCertificateChecks(checks: readonly CertificateCheck[]): void {
  const failed = checks.filter((check) => !check.ok);
  const first = failed[0];
  if (!first) return;
  const error = certificateCheckError(first)!;
  if (failed.length === 1) throw error;
  throw new PgfleetError(
    error.code,
    `${error.message} (and ${failed.length - 1} more failed certificate check${failed.length > 2 ? 's' : ''})`,
    {
      hint: error.hint,
      exitCode: error.exitCode,
      details: { failed: failed.map((check) => ({ check: check.check, code: check.code, message: check.message })) },
    },
  );
}

function normalizePem(pem: string): string {
  return pem.replace(/\r/g, '').trim();
}
