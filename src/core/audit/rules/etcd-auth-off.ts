import { type AuditRule, findingOf } from '../audit-rule.js';

/** etcd answers "authentication is not enabled": every client may read and write every key. */
export const etcdAuthOffRule: AuditRule = {
  id: 'dcs.etcd-auth-off',
  category: 'dcs',
  title: 'etcd authentication is off',
  severity: 'critical',
  why: "Anyone who can reach etcd can rewrite any cluster's leader, members and configuration keys, and so fail over, split or stop every cluster of the fleet.",
  fix: 'run `pgfleet etcd auth migrate` (tenants, credentials in each Patroni YAML, then a guarded `auth enable` with automatic rollback)',
  needs: 'live',
  check(snapshot) {
    const etcd = snapshot.live?.etcd;
    if (!etcd || etcd.authEnabled) return [];
    const versions = [...new Set(etcd.versions.map((v) => v.version))].join(', ');
    return [
      findingOf(this, {
        object: { kind: 'etcd', name: etcd.endpoints.join(',') },
        evidence: `etcd${versions ? ` ${versions}` : ''} answered "authentication is not enabled" to an authenticate request`,
      }),
    ];
  },
};
