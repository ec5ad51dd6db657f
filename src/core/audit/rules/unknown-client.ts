import { type AuditRule, findingOf } from '../audit-rule.js';
import { censusSubjects, subjectEvidence } from '../census-view.js';

/**
 * Leases, watchers and etcd client processes (vip-manager, confd, etcdctl,
 * patronictl on this host) that no known Patroni member, declared client or
 * pgfleet explains; v2 reads while no Patroni member uses v2.
 */
export const unknownClientRule: AuditRule = {
  id: 'dcs.unknown-client',
  category: 'dcs',
  title: 'etcd has a client nobody declared',
  severity: 'warning',
  why: 'An etcd client the fleet does not know of (a vip-manager, a script holding a watch or a lease) is cut off when etcd auth goes on, and a vip-manager then drops its VIP.',
  fix: 'declare the client in the tenants file (clients:) so that it gets its own etcd user and is proven after enable, or acknowledge it there (acknowledged:)',
  needs: 'live',
  check(snapshot) {
    return censusSubjects(snapshot, ['unknown-lease', 'unexplained-watchers', 'unknown-process', 'v2-readers']).map(
      (entry) =>
        findingOf(this, {
          severity: entry.acknowledged ? 'info' : 'warning',
          object: {
            kind: entry.subject.kind === 'unknown-process' ? 'process' : 'etcd',
            name: entry.subject.id,
          },
          evidence: subjectEvidence(entry),
        }),
    );
  },
};
