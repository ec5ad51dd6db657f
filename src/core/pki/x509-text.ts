import { PgfleetError } from '../errors.js';
import { type ExtendedKeyUsage, OPENSSL_EKU_NAMES } from './certificate-kind.js';
import { type OtherSubjectAltName, type SubjectAltName, parseOpensslSubjectAltNames } from './subject-alt-name.js';

/** What pgfleet needs to know of a certificate, read from openssl's text output. */
export interface CertificateInfo {
  /** Distinguished name as openssl prints it with -nameopt RFC2253 ("CN=node1"). */
  subject: string;
  commonName: string | undefined;
  issuer: string;
  serial: string | undefined;
  notBefore: Date;
  notAfter: Date;
  fingerprintSha256: string | undefined;
  subjectAltNames: Array<SubjectAltName | OtherSubjectAltName>;
  /** serverAuth / clientAuth, or openssl's name for other usages. */
  extendedKeyUsages: Array<ExtendedKeyUsage | string>;
  /** basicConstraints CA:TRUE. */
  isCa: boolean;
}

/** The openssl arguments whose output `parseX509Text` reads (after `x509 -in FILE`). */
export const X509_INFO_ARGS = [
  '-noout',
  '-subject',
  '-issuer',
  '-serial',
  '-startdate',
  '-enddate',
  '-fingerprint',
  '-sha256',
  '-nameopt',
  'RFC2253',
  '-dateopt',
  'iso_8601',
  '-ext',
  'subjectAltName,extendedKeyUsage,basicConstraints',
] as const;

/**
 * Parses the output of `openssl x509 -noout` with -subject/-issuer/-serial/
 * -dates/-fingerprint/-ext (X509_INFO_ARGS), or of `-text`: both print the
 * X509v3 extensions the same way. `source` names the file in errors.
 */
export function parseX509Text(text: string, source: string): CertificateInfo {
  const lines = text.split(/\r?\n/);
  const field = (patterns: RegExp[]): string | undefined => {
    for (const line of lines) {
      for (const pattern of patterns) {
        const match = pattern.exec(line);
        if (match) return match[1]!.trim();
      }
    }
    return undefined;
  };
  const subject = field([/^subject=(.*)$/, /^\s+Subject: (.*)$/]);
  const issuer = field([/^issuer=(.*)$/, /^\s+Issuer: (.*)$/]);
  const notBeforeText = field([/^notBefore=(.*)$/, /^\s+Not Before\s*: (.*)$/]);
  const notAfterText = field([/^notAfter=(.*)$/, /^\s+Not After\s*: (.*)$/]);
  if (subject === undefined || issuer === undefined || notBeforeText === undefined || notAfterText === undefined) {
    throw new PgfleetError(
      'PKI_CERT_UNREADABLE',
      `${source}: openssl did not print the subject, issuer and validity dates of the certificate`,
      {
        hint: 'check that the file is a PEM certificate (openssl x509 -in FILE -noout -text)',
      },
    );
  }
  const extensions = parseExtensions(lines);
  const san = extensions.get('Subject Alternative Name');
  const eku = extensions.get('Extended Key Usage');
  const basic = extensions.get('Basic Constraints');
  return {
    subject: normalizeDistinguishedName(subject),
    commonName: commonNameOf(subject),
    issuer: normalizeDistinguishedName(issuer),
    serial: field([/^serial=(.*)$/]),
    notBefore: parseOpensslDate(notBeforeText, source),
    notAfter: parseOpensslDate(notAfterText, source),
    fingerprintSha256: field([/^sha256 Fingerprint=(.*)$/i, /^SHA256 Fingerprint=(.*)$/]),
    subjectAltNames: san ? parseOpensslSubjectAltNames(san) : [],
    extendedKeyUsages: eku
      ? eku
          .split(',')
          .map((usage) => extendedKeyUsageOf(usage.trim()))
          .filter((usage) => usage.length > 0)
      : [],
    isCa: basic ? /\bCA:TRUE\b/i.test(basic) : false,
  };
}

/** Extension blocks: a "X509v3 Name: [critical]" line followed by more-indented value lines. */
function parseExtensions(lines: string[]): Map<string, string> {
  const extensions = new Map<string, string>();
  for (let index = 0; index < lines.length; index += 1) {
    const header = /^(\s*)X509v3 ([A-Za-z ]+?):\s*(critical)?\s*$/.exec(lines[index]!);
    // "X509v3 extensions:" in -text output opens the list; it is not an extension.
    if (!header || header[2] === 'extensions') continue;
    const indent = header[1]!.length;
    const values: string[] = [];
    while (index + 1 < lines.length) {
      const next = lines[index + 1]!;
      const nextIndent = /^(\s*)/.exec(next)![1]!.length;
      if (next.trim().length === 0 || nextIndent <= indent) break;
      values.push(next.trim());
      index += 1;
    }
    extensions.set(header[2]!, values.join(' '));
  }
  return extensions;
}

function extendedKeyUsageOf(displayName: string): ExtendedKeyUsage | string {
  for (const [usage, name] of Object.entries(OPENSSL_EKU_NAMES))
    if (name === displayName) return usage as ExtendedKeyUsage;
  return displayName;
}

/** "CN = node1, O = x" (openssl's default) and "CN=node1,O=x" (RFC2253) both become the latter. */
function normalizeDistinguishedName(dn: string): string {
  return dn.replace(/\s*=\s*/g, '=').replace(/\s*,\s*/g, ',');
}

function commonNameOf(dn: string): string | undefined {
  const match = /(?:^|,)\s*CN\s*=\s*((?:\\,|[^,])*)/.exec(dn);
  return match ? match[1]!.trim() : undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * Dates as openssl prints them: "2026-11-25 05:48:07Z" (-dateopt iso_8601)
 * or "Nov  5 05:48:07 2026 GMT" (the default, rfc_822).
 */
export function parseOpensslDate(text: string, source = 'certificate'): Date {
  const iso = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})Z$/.exec(text.trim());
  if (iso)
    return utcDate(
      Number(iso[1]),
      Number(iso[2]) - 1,
      Number(iso[3]),
      Number(iso[4]),
      Number(iso[5]),
      Number(iso[6]),
      text,
      source,
    );
  const rfc = /^([A-Z][a-z]{2})\s+(\d{1,2}) (\d{2}):(\d{2}):(\d{2}) (\d{4}) GMT$/.exec(text.trim());
  const month = rfc ? MONTHS.indexOf(rfc[1]!) : -1;
  if (rfc && month >= 0)
    return utcDate(Number(rfc[6]), month, Number(rfc[2]), Number(rfc[3]), Number(rfc[4]), Number(rfc[5]), text, source);
  throw new PgfleetError('PKI_CERT_UNREADABLE', `${source}: cannot read the date "${text}" printed by openssl`, {
    hint: 'this openssl prints dates in an unknown format; report it with `openssl version`',
  });
}

function utcDate(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  text: string,
  source: string,
): Date {
  const date = new Date(Date.UTC(year, month, day, hour, minute, second));
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month) {
    throw new PgfleetError('PKI_CERT_UNREADABLE', `${source}: "${text}" is not a calendar date`, {
      hint: 'check the certificate with openssl x509 -noout -dates',
    });
  }
  return date;
}
