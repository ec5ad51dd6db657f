import { type AuditRule, findingOf } from '../audit-rule.js';
import { censusSubjects, subjectEvidence } from '../census-view.js';

/**
 * A Patroni cluster the census found under a namespace the settings do not
 * name: pgfleet's discovery, tenancy and gates do not see it, so it has no
 * tenant of its own and enabling etcd auth cuts it off (the outage of seed
 * 000, with the cluster still reporting itself healthy).
 */
export const clusterOutsideTenancyRule: AuditRule = {
  id: 'dcs.cluster-outside-tenancy',
  category: 'dcs',
  title: 'a Patroni cluster lives outside every configured namespace',
  severity: 'critical',
  why: 'A Patroni cluster outside the namespaces pgfleet scans gets no etcd user of its own, so switching etcd auth on cuts it off from its DCS while it keeps reporting itself healthy.',
  fix: 'add its namespace to tenancy.namespaces in the site settings (then `pgfleet etcd auth plan` covers it), or stop that cluster',
  needs: 'live',
  check(snapshot) {
    const authEnabled = snapshot.live?.etcd.authEnabled === true;
    return censusSubjects(snapshot, ['outside-cluster']).map((entry) =>
      findingOf(this, {
        // Before auth, it is the next outage; after, a cluster that runs on someone else's credentials or not at all.
        severity: authEnabled ? 'critical' : 'high',
        object: { kind: 'cluster', name: String(entry.subject.details['base'] ?? entry.subject.id) },
        evidence: subjectEvidence(entry),
      }),
    );
  },
};
