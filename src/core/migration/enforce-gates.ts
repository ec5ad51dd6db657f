import { authSafetyOf, blocksAuthSwitch, describeAuthSafety } from '../versions/auth-safety.js';
import { isPatroniBefore32 } from '../versions/stack-version-facts.js';
import { type EnforceFix, fixFor, isTlsProblem, nextStepsHint } from './enforce-failure.js';
import { type ExpectedMember, absentFromDcs, describeExpectation } from './expected-members.js';
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
  /** The instance name of each member managed on this host (keyed by member id): hints name it. */
  localInstanceNames?: Map<string, string> | undefined;
  /** This host's member files or Patroni processes that cannot be used (unreadable YAML...): a member pgfleet cannot vouch for. */
  localProblems?: Array<{ configFile: string; problem: string; hint: string }> | undefined;
  /**
   * Members pgfleet expects (readiness records, this host's instances):
   * one the DCS does not list lost its member key, and enforce would pause,
   * probe and protect the others without it.
   */
  expectedMembers?: ExpectedMember[] | undefined;
}

export interface GateFailure {
  gate:
    | 'readiness'
    | 'reachability'
    | 'token-type'
    | 'etcd-version'
    | 'admin'
    | 'no-members'
    | 'local-member'
    | 'membership'
    | 'census'
    | 'declared-client';
  /** The member or object concerned. */
  subject: string;
  message: string;
  hint: string;
  /** The fix, when a command of this host does it (the refusal's hint lists these in order). */
  fix?: EnforceFix | undefined;
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
    const localInstance = input.localInstanceNames?.get(id);
    const unreachable = input.unreachable.get(id);
    if (unreachable !== undefined) {
      const fix = fixFor('unreachable', { subject: id, localInstance, host: hostOf(member.apiUrl) });
      failures.push({
        gate: 'reachability',
        subject: id,
        message: `member ${id} is unreachable: ${unreachable}`,
        hint: `every member must answer on its REST API so it can be paused and probed: ${fix.command ? `\`${fix.command}\` (${fix.text})` : fix.text}`,
        fix,
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
        fix: applyFix(id, member, localInstance),
      });
    } else if (record.username !== expectedUser) {
      failures.push({
        gate: 'readiness',
        subject: id,
        message: `member ${id} is ready with user ${record.username}, but its cluster's tenant is ${expectedUser}`,
        hint: 'run `pgfleet etcd auth apply` again on its host',
        fix: applyFix(id, member, localInstance),
      });
    } else {
      const drift = input.localCredentialDrift?.get(id);
      if (drift !== undefined)
        failures.push({
          gate: 'readiness',
          subject: id,
          message: `member ${id} was recorded ready, but ${drift}`,
          hint: "run `pgfleet etcd auth apply` again: it writes the tenant's credentials and reloads Patroni",
          fix: applyFix(id, member, localInstance),
        });
    }
  }
  for (const absent of absentFromDcs(input.members, input.expectedMembers ?? [])) {
    const fix = fixFor('absent-from-dcs', {
      subject: absent.id,
      localInstance: absent.localInstance,
      host: absent.host,
    });
    failures.push({
      gate: 'membership',
      subject: absent.id,
      message: `member ${absent.id} is expected (${describeExpectation(absent)}) but the DCS does not list it: its member key lapsed (its Patroni stopped, or could not reach etcd for longer than its ttl), so enforce would pause, probe and protect its cluster without it`,
      hint: fix.command ? `\`${fix.command}\` (${fix.text})` : fix.text,
      fix,
    });
  }
  for (const problem of input.localProblems ?? [])
    failures.push({
      gate: 'local-member',
      subject: problem.configFile,
      message: `${problem.configFile} on this host cannot be used: ${problem.problem}`,
      hint: problem.hint,
    });
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
    // A refused TLS handshake is not a wrong password: the hint must point at the files, not at the credentials.
    const tls = input.adminProblem !== undefined && isTlsProblem(input.adminProblem);
    failures.push({
      gate: 'admin',
      subject: 'etcd admin',
      message: `${tls ? 'pgfleet cannot reach etcd over TLS' : 'the etcd admin credentials do not work'}${input.adminProblem ? `: ${input.adminProblem}` : ''}`,
      hint: tls
        ? fixFor('tls', { subject: 'etcd admin' }).text
        : 'check etcd_admin.password_file (or PGFLEET_ETCD_ADMIN_PASSWORD); `pgfleet etcd auth prepare` creates root',
      ...(tls ? { fix: fixFor('tls', { subject: 'etcd admin' }) } : {}),
    });
  }
  return failures;
}

function applyFix(id: string, member: FleetMember, localInstance: string | undefined): EnforceFix {
  return fixFor('no-credentials', {
    subject: id,
    localInstance: localInstance ?? (member.managedHere ? member.name : undefined),
    host: hostOf(member.apiUrl),
  });
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/**
 * The refusal's hint: the fixes in order (each command once), then enforce
 * again; gates without a command of this host are described in the lines
 * above it.
 */
export function gateRefusalHint(failures: readonly GateFailure[]): string {
  const fixes = failures.flatMap((failure) => (failure.fix ? [failure.fix] : []));
  const others = failures.length - fixes.length;
  return `nothing was changed; ${others > 0 ? 'fix each point above: ' : ''}${nextStepsHint(fixes)}`;
}

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) groups.set(keyOf(item), [...(groups.get(keyOf(item)) ?? []), item]);
  return groups;
}
