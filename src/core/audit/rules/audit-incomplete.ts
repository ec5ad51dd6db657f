import { type AuditRule, findingOf } from '../audit-rule.js';

/** What the collector could not look at: an audit that could not see something says so rather than pass it. */
export const auditIncompleteRule: AuditRule = {
  id: 'audit.incomplete',
  category: 'audit',
  title: 'part of the fleet could not be audited',
  severity: 'warning',
  why: 'The rules that need this part stayed silent because they could not see it, so no finding there does not mean nothing is wrong.',
  fix: 'fix what the evidence names (an unreachable member, missing admin credentials, an unreadable file) and audit again',
  needs: 'static-or-live',
  check(snapshot) {
    return snapshot.gaps.map((gap) =>
      findingOf(this, { object: { kind: 'audit', name: gap.what }, evidence: `${gap.what}: ${gap.reason}` }),
    );
  },
};
