import { authSafetyOf, blocksAuthSwitch, describeAuthSafety } from '../versions/auth-safety.js';
import { isPatroniBefore32 } from '../versions/stack-version-facts.js';
import { type FleetMember, memberId } from './fleet-member.js';
import type { ReadinessRecord } from './readiness-record.js';

export type TokenType = 'simple' | 'jwt' | 'unknown';

export interface GateInput {
  members: FleetMember[];
  /** Tenant user expected for each cluster, keyed `<namespace><scope>`. */
  tenantUsers: Map<string, string>;
  readiness: Map<string, ReadinessRecord>;
  /** Members whose REST API did not answer, with the reason. */
  unreachable: Map<string, string>;
  /** Patroni version reported by each reachable member (GET /patroni). */
  patroniVersions: Map<string, string>;
  tokenType: TokenType;
  etcdVersions: string[];
  adminCredentialsWork: boolean;
  adminProblem?: string | undefined;
  /**
   * Members on this host whose Patroni YAML no longer carries their tenant's
   * current credentials (edited or rotated since apply), with what differs:
   * their readiness record would vouch for credentials Patroni does not have.
   */
  localCredentialDrift?: Map<string, string> | undefined;
}

export interface GateFailure {
  gate:
    | 'readiness'
    | 'reachability'
    | 'token-type'
    | 'etcd-version'
    | 'admin'
    | 'no-members'
    | 'census'
    | 'declared-client';
  /** The member or object concerned. */
  subject: string;
  message: string;
  hint: string;
}

/** The gates `etcd auth enforce` must pass before it touches anything. An empty list means go. */
export function evaluateEnforceGates(input: GateInput): GateFailure[] {
  const failures: GateFailure[] = [];
  if (input.members.length === 0) {
    failures.push({
      gate: 'no-members',
      subject: 'fleet',
      message: 'no Patroni member found in the DCS',
      hint: 'check patroni.etcd.namespace and tenancy.namespaces in the settings',
    });
  }
  for (const member of input.members) {
    const id = memberId(member);
    const unreachable = input.unreachable.get(id);
    if (unreachable !== undefined) {
      failures.push({
        gate: 'reachability',
        subject: id,
        message: `member ${id} is unreachable: ${unreachable}`,
        hint: 'every member must answer on its REST API so it can be paused and probed; bring it back or remove it from the cluster',
      });
    }
    const expectedUser = input.tenantUsers.get(`${member.namespace}${member.scope}`);
    const record = input.readiness.get(id);
    if (!expectedUser) {
      failures.push({
        gate: 'readiness',
        subject: id,
        message: `cluster ${member.namespace}${member.scope} has no tenant`,
        hint: 'create it with `pgfleet etcd auth prepare` (or `pgfleet etcd tenants apply`)',
      });
    } else if (!record) {
      failures.push({
        gate: 'readiness',
        subject: id,
        message: `member ${id} has no readiness record: its Patroni does not have credentials yet`,
        hint: member.managedHere
          ? 'run `pgfleet etcd auth apply`'
          : 'run `pgfleet etcd auth apply --host-only` on the host of that member',
      });
    } else if (record.username !== expectedUser) {
      failures.push({
        gate: 'readiness',
        subject: id,
        message: `member ${id} is ready with user ${record.username}, but its cluster's tenant is ${expectedUser}`,
        hint: 'run `pgfleet etcd auth apply` again on its host',
      });
    } else {
      const drift = input.localCredentialDrift?.get(id);
      if (drift !== undefined)
        failures.push({
          gate: 'readiness',
          subject: id,
          message: `member ${id} was recorded ready, but ${drift}`,
          hint: "run `pgfleet etcd auth apply` again: it writes the tenant's credentials and reloads Patroni",
        });
    }
  }
  const oldPatroni = [...input.patroniVersions.entries()].filter(([, version]) => isPatroniBefore32(version));
  if (input.tokenType === 'jwt' && oldPatroni.length > 0) {
    failures.push({
      gate: 'token-type',
      subject: oldPatroni.map(([id]) => id).join(', '),
      message: `etcd uses JWT tokens and ${oldPatroni.length} member(s) run Patroni < 3.2 (${[...new Set(oldPatroni.map(([, v]) => v))].join(', ')}): Patroni 3.0.2 does not re-authenticate when JWT tokens go stale, so its primaries would demote`,
      hint: 'run etcd with --auth-token simple, or upgrade Patroni to 3.2 or later first',
    });
  }
  if (input.tokenType === 'unknown') {
    failures.push({
      gate: 'token-type',
      subject: 'etcd',
      message: 'the etcd token type (simple or JWT) could not be determined',
      hint: "declare it in the settings (etcd_admin.auth_token: simple) after checking etcd's --auth-token flag",
    });
  }
  // Per member, from the version its own REST API reports, against every etcd version the fleet runs.
  for (const version of new Set(input.etcdVersions)) {
    const blocked = [...input.patroniVersions.entries()]
      .map(([id, patroni]) => ({ id, patroni, safety: authSafetyOf(patroni, version) }))
      .filter((entry) => blocksAuthSwitch(entry.safety));
    for (const [patroni, entries] of groupBy(blocked, (entry) => entry.patroni)) {
      failures.push({
        gate: 'etcd-version',
        subject: `etcd ${version}`,
        message: `Patroni ${patroni} (${entries.map((entry) => entry.id).join(', ')}) with etcd ${version}: ${describeAuthSafety(entries[0]!.safety)}`,
        hint: 'run a Patroni and etcd pair the compatibility matrix knows as safe (`pgfleet etcd upgrade check --to VERSION` judges a target etcd), or upgrade Patroni first',
      });
    }
  }
  if (!input.adminCredentialsWork) {
    failures.push({
      gate: 'admin',
      subject: 'etcd admin',
      message: `the etcd admin credentials do not work${input.adminProblem ? `: ${input.adminProblem}` : ''}`,
      hint: 'check etcd_admin.password_file (or PGFLEET_ETCD_ADMIN_PASSWORD); `pgfleet etcd auth prepare` creates root',
    });
  }
  return failures;
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}
