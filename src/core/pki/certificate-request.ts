import { PgfleetError } from '../errors.js';
import {
  type CertificateKind,
  type ExtendedKeyUsage,
  type LeafKind,
  extendedKeyUsagesOf,
  needsSubjectAltNames,
} from './certificate-kind.js';
import { type SubjectAltName, parseSubjectAltNames } from './subject-alt-name.js';

/**
 * What to issue: the subject, the SANs, the usages and the lifetime. Keys are
 * EC P-256: small, fast, and accepted by Python's ssl (Patroni, patronictl),
 * Go (etcd) and Node (pgfleet).
 */
export interface CertificateRequest {
  kind: CertificateKind;
  /** File name stem; "ca" for the CA. */
  name: string;
  /** Empty only for a client certificate issued without a CN (see LeafRequestInput.withoutCommonName). */
  commonName: string;
  /** Subject O, for a subject without a CN (openssl needs a non-empty subject). */
  organization?: string | undefined;
  subjectAltNames: SubjectAltName[];
  extendedKeyUsages: ExtendedKeyUsage[];
  days: number;
}

export const KEY_ALGORITHM = 'EC P-256';
/** `openssl genpkey` arguments for KEY_ALGORITHM; the key goes to stdout, never to argv. */
export const GENPKEY_ARGS = ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'] as const;

export const DEFAULT_CA_DAYS = 3650;
/** 825 days: the longest lifetime browsers ever accepted; labs renew with --force. */
export const DEFAULT_LEAF_DAYS = 825;
export const MAX_DAYS = 36_500;
export const DEFAULT_CA_COMMON_NAME = 'pgfleet CA';

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
// Printable, and nothing openssl's config syntax treats specially ($ # \ " = , /).
const COMMON_NAME = /^[A-Za-z0-9][A-Za-z0-9 ._@:()+-]{0,63}$/;

/** A certificate name becomes a file name: letters, digits, dot, dash, underscore. */
export function validateCertificateName(name: string): string {
  if (!NAME.test(name) || name === '.' || name === '..' || name.endsWith('.')) {
    throw new PgfleetError('PKI_NAME_INVALID', `"${name}" cannot name a certificate: it becomes a file name`, {
      hint: 'use 1 to 63 letters, digits, dots, dashes or underscores, starting with a letter or digit (e.g. node1, alpha-1.rest)',
    });
  }
  return name;
}

export function validateCommonName(commonName: string): string {
  if (!COMMON_NAME.test(commonName)) {
    throw new PgfleetError('PKI_COMMON_NAME_INVALID', `"${commonName}" cannot be a certificate common name here`, {
      hint: 'use up to 64 letters, digits, spaces and . _ @ : ( ) + - starting with a letter or digit',
    });
  }
  return commonName;
}

export function validateDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new PgfleetError('PKI_DAYS_INVALID', `a certificate lifetime of ${days} days is not possible`, {
      hint: `give --days a whole number from 1 to ${MAX_DAYS}`,
    });
  }
  return days;
}

export function caRequest(
  options: { commonName?: string | undefined; days?: number | undefined } = {},
): CertificateRequest {
  return {
    kind: 'ca',
    name: 'ca',
    commonName: validateCommonName(options.commonName ?? DEFAULT_CA_COMMON_NAME),
    subjectAltNames: [],
    extendedKeyUsages: [],
    days: validateDays(options.days ?? DEFAULT_CA_DAYS),
  };
}

export interface LeafRequestInput {
  kind: LeafKind;
  name: string;
  /** `--san` values as typed. */
  sans?: readonly string[] | undefined;
  /** Defaults to the name. */
  commonName?: string | undefined;
  /**
   * Client certificates only: a subject with no CN (O=pgfleet). etcd 3.4
   * refuses every request through its JSON gateway (what Patroni 3.0.2 and
   * pgfleet use) from a client certificate with a CN once etcd auth is on
   * ("CommonName of client sending a request against gateway will be
   * ignored"), even with a valid token: client certificates and etcd users
   * together need certificates without a CN.
   */
  withoutCommonName?: boolean | undefined;
  days?: number | undefined;
}

/** Builds and checks a server, client or peer request. Server and peer need SANs; a client has none. */
export function leafRequest(input: LeafRequestInput): CertificateRequest {
  const name = validateCertificateName(input.name);
  const subjectAltNames = parseSubjectAltNames(input.sans ?? []);
  if (needsSubjectAltNames(input.kind) && subjectAltNames.length === 0) {
    throw new PgfleetError('PKI_SAN_REQUIRED', `a ${input.kind} certificate for "${name}" needs at least one --san`, {
      hint: `list every address clients use to reach it, e.g. pgfleet pki issue ${input.kind} ${name} --san 127.0.0.1 --san localhost`,
    });
  }
  if (input.withoutCommonName && input.kind !== 'client') {
    throw new PgfleetError(
      'PKI_COMMON_NAME_REQUIRED',
      `a ${input.kind} certificate for "${name}" needs a common name`,
      { hint: 'only client certificates may go without one' },
    );
  }
  if (!needsSubjectAltNames(input.kind) && subjectAltNames.length > 0) {
    throw new PgfleetError('PKI_SAN_UNEXPECTED', `a client certificate for "${name}" takes no --san`, {
      hint: 'servers are identified by their SANs; a client by its common name (the certificate name)',
    });
  }
  return {
    kind: input.kind,
    name,
    ...(input.withoutCommonName
      ? { commonName: '', organization: 'pgfleet' }
      : { commonName: validateCommonName(input.commonName ?? name) }),
    subjectAltNames,
    extendedKeyUsages: extendedKeyUsagesOf(input.kind),
    days: validateDays(input.days ?? DEFAULT_LEAF_DAYS),
  };
}

/** The subject as openssl prints it in RFC 2253 style: "CN=node1" or "O=pgfleet". */
export function subjectText(request: Pick<CertificateRequest, 'commonName' | 'organization'>): string {
  return [
    ...(request.commonName ? [`CN=${request.commonName}`] : []),
    ...(request.organization ? [`O=${request.organization}`] : []),
  ].join(',');
}
