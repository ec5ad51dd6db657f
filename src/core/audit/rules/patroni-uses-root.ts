import { type AuditRule, findingOf } from '../audit-rule.js';
import { memberEtcdUsers } from '../fleet-view.js';
import { dcsOf, locationAt } from '../patroni-document.js';

/** A Patroni node authenticates to etcd as root (or the admin, or any user holding the root role). */
export const patroniUsesRootRule: AuditRule = {
  id: 'dcs.patroni-uses-root',
  category: 'dcs',
  title: 'Patroni uses the etcd root identity',
  severity: 'high',
  why: "A node holding root credentials can read and rewrite every cluster's keys and disable etcd auth, so one compromised host opens the whole fleet.",
  fix: 'give the cluster its own user and role (`pgfleet etcd tenants apply`), then write them into its members (`pgfleet etcd auth apply`)',
  needs: 'static-or-live',
  check(snapshot) {
    const admin = snapshot.settings.etcd_admin.username;
    const rootHolders = new Set(
      (snapshot.live?.etcd.users ?? []).filter((user) => user.roles.includes('root')).map((user) => user.name),
    );
    rootHolders.add('root');
    return memberEtcdUsers(snapshot)
      .filter((entry) => entry.username === admin || rootHolders.has(entry.username))
      .map((entry) =>
        findingOf(this, {
          object: { kind: 'member', name: entry.member },
          evidence: `member ${entry.member} authenticates to etcd as "${entry.username}" (${entry.username === admin ? 'the etcd admin of the settings' : 'holds the root role'}), per ${entry.source}`,
          ...(entry.file
            ? {
                location: locationAt(
                  entry.file,
                  `${(entry.file.document && dcsOf(entry.file.document)?.name) ?? 'etcd3'}.username`,
                ),
              }
            : {}),
        }),
      );
  },
};
