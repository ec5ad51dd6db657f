import { type AuditRule, findingOf } from '../audit-rule.js';
import type { Finding } from '../finding.js';

const DAY_MS = 86_400_000;

/**
 * A certificate Patroni, patronictl or pgfleet uses expires within the
 * settings' pki.expiry_warning_days (warning), or has expired (critical):
 * once it has, every TLS handshake with it fails and the members' REST API
 * or DCS connection goes with it.
 */
export const certificateExpiryRule: AuditRule = {
  id: 'files.certificate-expiry',
  category: 'files',
  title: 'certificate in use expires soon or has expired',
  severity: 'critical',
  why: 'An expired certificate fails every TLS handshake made with it, so the REST API, patronictl or the members’ DCS connection stop working at once, on every member using it.',
  fix: 'renew it with `pgfleet pki renew` (same CA, swapped live and probed), or issue a new one where it came from',
  needs: 'static',
  check(snapshot) {
    const warnDays = snapshot.settings.pki.expiry_warning_days;
    const findings: Finding[] = [];
    for (const certificate of snapshot.certificates ?? []) {
      if (!certificate.notAfter) continue;
      const left = Date.parse(certificate.notAfter) - Date.parse(certificate.checkedAt);
      const daysLeft = Math.floor(left / DAY_MS);
      if (left > 0 && daysLeft >= warnDays) continue;
      findings.push(
        findingOf(this, {
          severity: left <= 0 ? 'critical' : 'warning',
          object: { kind: 'file', name: certificate.path },
          evidence:
            left <= 0
              ? `${certificate.path} (${certificate.referencedBy}${certificate.subject ? `, ${certificate.subject}` : ''}) expired on ${certificate.notAfter}`
              : `${certificate.path} (${certificate.referencedBy}${certificate.subject ? `, ${certificate.subject}` : ''}) expires on ${certificate.notAfter}, in ${daysLeft} day${daysLeft === 1 ? '' : 's'} (pki.expiry_warning_days is ${warnDays})`,
          location: { file: certificate.path },
        }),
      );
    }
    return findings;
  },
};
