import { formatRange } from '../../etcd/key-range.js';
import { grantRange } from '../../tenancy/declared-clients.js';
import { type AuditRule, findingOf } from '../audit-rule.js';
import type { Finding } from '../finding.js';

/**
 * A client declared in the tenants file whose etcd role holds more than its
 * declaration (a write where it only reads, a prefix where it reads one key,
 * another range), or whose user holds another role too.
 */
export const clientRoleWiderThanDeclaredRule: AuditRule = {
  id: 'dcs.client-role-wider-than-declared',
  category: 'dcs',
  title: "a declared client's etcd role is wider than its declaration",
  severity: 'high',
  why: "A client whose role reaches beyond what it is declared to need (a vip-manager that may write the leader key, a monitoring user that may read every cluster) turns a leaked client password into a way to change a cluster's state.",
  fix: 'run `pgfleet etcd tenants apply`: it revokes what the declaration does not name',
  needs: 'live',
  check(snapshot) {
    const etcd = snapshot.live?.etcd;
    const clients = snapshot.live?.census?.declaredClients ?? [];
    if (!etcd?.roles || !etcd.users) return [];
    const findings: Finding[] = [];
    for (const client of clients) {
      const wanted = grantRange(client.grant);
      const role = etcd.roles.find((candidate) => candidate.name === client.role);
      const extra = (role?.permissions ?? []).filter(
        (permission) =>
          !(
            permission.key.equals(wanted.key) &&
            permission.rangeEnd.equals(wanted.rangeEnd) &&
            permission.permType === client.grant.permType
          ),
      );
      const otherRoles =
        etcd.users.find((user) => user.name === client.user)?.roles.filter((name) => name !== client.role) ?? [];
      if (extra.length === 0 && otherRoles.length === 0) continue;
      const parts = [
        ...extra.map((permission) => `${permission.permType} on ${formatRange(permission)}`),
        ...otherRoles.map((name) => `role ${name} on its user ${client.user}`),
      ];
      findings.push(
        findingOf(this, {
          object: { kind: 'etcd-role', name: client.role },
          evidence: `client ${client.name} (${client.kind}, ${client.origin}) is declared for ${client.grant.permType} on ${client.grant.prefix ? `${client.grant.key} and below` : `the key ${client.grant.key}`}, and also holds ${parts.join(', ')}`,
        }),
      );
    }
    return findings;
  },
};
