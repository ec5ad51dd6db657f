import { PgfleetError } from '../errors.js';

/**
 * How bad a finding is, lowest first:
 * - info: worth knowing, nothing to fix (e.g. health-check endpoints open by design);
 * - low: hygiene or a weakness that needs another failure to matter (plain http on loopback,
 *   a template key pgfleet ignores, pg_rewind off);
 * - warning: a protection is missing or unverified, or an operation will break later
 *   (a cluster without a tenant before auth is on, TLS without client verification);
 * - high: someone who can reach the service (or read a file) can change a cluster or take a
 *   credential, or the fleet is one routine step from an outage (JWT with Patroni < 3.2);
 * - critical: the whole fleet's DCS is open to anyone who reaches it (etcd auth off, a tenant
 *   role over the whole keyspace).
 */
export const SEVERITIES = ['info', 'low', 'warning', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function isAtLeast(severity: Severity, minimum: Severity): boolean {
  return severityRank(severity) >= severityRank(minimum);
}

export function parseSeverity(value: string): Severity {
  const lowered = value.toLowerCase();
  if ((SEVERITIES as readonly string[]).includes(lowered)) return lowered as Severity;
  throw new PgfleetError('AUDIT_BAD_SEVERITY', `unknown severity "${value}"`, {
    hint: `use one of ${SEVERITIES.join(', ')}`,
  });
}
