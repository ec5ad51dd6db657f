import { type AuditRule, findingOf } from '../audit-rule.js';
import { censusSubjects, subjectEvidence } from '../census-view.js';

/** Keys written during the census under no tenant, no declared client and not pgfleet's: a client nobody accounts for. */
export const unknownWriterRule: AuditRule = {
  id: 'dcs.unknown-writer',
  category: 'dcs',
  title: 'an etcd prefix is written by a client nobody declared',
  severity: 'warning',
  why: 'A client that writes etcd without an identity the fleet knows either breaks when etcd auth goes on or writes with credentials wider than it needs.',
  fix: 'declare the client in the tenants file (clients:) so that it gets its own etcd user, or acknowledge it there (acknowledged:) with the reason it may lose etcd',
  needs: 'live',
  check(snapshot) {
    return censusSubjects(snapshot, ['unknown-writer']).map((entry) =>
      findingOf(this, {
        severity: entry.acknowledged ? 'info' : 'warning',
        object: { kind: 'etcd', name: String(entry.subject.details['prefix'] ?? entry.subject.id) },
        evidence: subjectEvidence(entry),
      }),
    );
  },
};
