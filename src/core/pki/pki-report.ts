import type { CertificateCheck } from './certificate-checks.js';
import type { CertificateKind } from './certificate-kind.js';
import type { ValidityState } from './certificate-validity.js';

/** One certificate as `pki show` lists it: public facts only, never key material. */
export interface PkiEntry {
  kind: CertificateKind;
  name: string;
  certFile: string;
  keyFile: string;
  /** Whether the key file exists and keeps others out. */
  key: 'present' | 'missing' | 'readable-by-others';
  subject?: string;
  issuer?: string;
  subjectAltNames?: string[];
  extendedKeyUsages?: string[];
  serial?: string;
  notBefore?: string;
  notAfter?: string;
  daysLeft?: number;
  state?: ValidityState;
  expiresSoon?: boolean;
  /** Set when the certificate could not be read. */
  error?: string;
}

export interface PkiInventory {
  dir: string;
  ca: PkiEntry | undefined;
  certificates: PkiEntry[];
}

/** `pki show` as text: one row per certificate, then the SANs in full. */
export function renderPkiInventory(inventory: PkiInventory): string {
  const entries = [...(inventory.ca ? [inventory.ca] : []), ...inventory.certificates];
  if (entries.length === 0) return `no CA and no certificates in ${inventory.dir} (create a CA: pgfleet pki init)`;
  const rows = entries.map((entry) => [
    entry.kind,
    entry.name,
    entry.subject ?? '-',
    entry.error ? `error: ${entry.error}` : (entry.subjectAltNames ?? []).join(', ') || '-',
    entry.issuer ?? '-',
    entry.notAfter ? entry.notAfter.slice(0, 10) : '-',
    entry.daysLeft === undefined ? '-' : status(entry),
    entry.key,
  ]);
  return [
    `PKI in ${inventory.dir}`,
    table(['KIND', 'NAME', 'SUBJECT', 'SANS', 'ISSUER', 'EXPIRES', 'DAYS LEFT', 'KEY'], rows),
  ].join('\n');
}

function status(entry: PkiEntry): string {
  if (entry.state === 'expired') return `EXPIRED (${entry.daysLeft})`;
  if (entry.state === 'not-yet-valid') return 'NOT YET VALID';
  return entry.expiresSoon ? `${entry.daysLeft} (renew soon)` : String(entry.daysLeft);
}

/** `pki check` as text: one line per check, with the hint under a failure. */
export function renderCertificateChecks(checks: readonly CertificateCheck[]): string {
  const lines: string[] = [];
  for (const check of checks) {
    lines.push(
      `${check.ok ? (check.warning ? 'warn' : 'ok  ') : 'FAIL'}  ${check.check.padEnd(16)}  ${check.warning ?? check.message}${check.code ? ` [${check.code}]` : ''}`,
    );
    if (!check.ok && check.hint) lines.push(`      ${''.padEnd(16)}  hint: ${check.hint}`);
  }
  const failed = checks.filter((check) => !check.ok).length;
  lines.push(failed === 0 ? `${checks.length} checks passed` : `${failed} of ${checks.length} checks failed`);
  return lines.join('\n');
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((cell, index) => Math.max(cell.length, ...rows.map((row) => (row[index] ?? '').length)));
  const format = (row: string[]): string =>
    row
      .map((cell, index) => cell.padEnd(widths[index]!))
      .join('  ')
      .trimEnd();
  return [format(header), ...rows.map(format)].join('\n');
}
