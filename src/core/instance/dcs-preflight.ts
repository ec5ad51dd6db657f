import { type KeyRange, formatRange, prefixRange, rangeContains, rangesOverlap } from '../etcd/key-range.js';

/**
 * The pre-flight check of an instance's DCS credentials (the outage report's
 * "verify PUT and GET with the new credentials before the service starts"),
 * as pure decisions over what was observed. I/O lives in src/instance/.
 */
export type PreflightStatus = 'pass' | 'warn' | 'fail';

export interface PreflightCheck {
  id: string;
  status: PreflightStatus;
  message: string;
  hint?: string | undefined;
}

export interface PreflightReport {
  ok: boolean;
  authEnabled: boolean;
  checks: PreflightCheck[];
}

/** What a probe with the instance's own credentials saw (auth on). */
export type ProbeOutcome =
  | { kind: 'ok' }
  | { kind: 'authentication-failed' }
  | { kind: 'permission-denied'; step: 'put' | 'get' | 'delete' }
  | { kind: 'user-name-empty' }
  | { kind: 'unreachable'; message: string }
  | { kind: 'other'; message: string };

/** What the admin view of etcd says about the instance's user (when pgfleet has it). */
export interface AdminView {
  userExists: boolean;
  /** Ranges granted to the user through its roles, with write permission. */
  writableRanges: KeyRange[];
  holdsRoot: boolean;
}

export interface PreflightInput {
  namespace: string;
  scope: string;
  username: string | undefined;
  authEnabled: boolean;
  /** Present when auth is on and the instance has credentials. */
  probe?: ProbeOutcome | undefined;
  /** Present when pgfleet could read users and roles. */
  admin?: AdminView | undefined;
}

export function clusterPrefix(namespace: string, scope: string): string {
  return `${namespace.endsWith('/') ? namespace : `${namespace}/`}${scope}/`;
}

export function diagnosePreflight(input: PreflightInput): PreflightReport {
  const prefix = clusterPrefix(input.namespace, input.scope);
  const checks: PreflightCheck[] = [];
  const user = input.username;

  if (!user) {
    checks.push(
      input.authEnabled
        ? {
            id: 'credentials-missing',
            status: 'fail',
            message: `etcd authentication is on and the instance has no etcd user: Patroni could not write to the DCS`,
            hint: "give --patroni-etcd-username and --patroni-etcd-password-file (see `pgfleet etcd tenants show` for the cluster's user)",
          }
        : {
            id: 'credentials-missing',
            status: 'warn',
            message: 'no etcd user configured: this instance will break when etcd authentication is switched on',
            hint: "create the cluster's tenant with `pgfleet etcd tenants apply` and pass its user",
          },
    );
    return finish(input, checks);
  }

  if (input.admin) checks.push(...adminChecks(input.admin, user, prefix));

  if (input.authEnabled) {
    checks.push(probeCheck(input.probe, user, prefix));
  } else {
    checks.push({
      id: 'password-unverifiable',
      status: 'warn',
      message: `etcd authentication is off: the password of ${user} cannot be verified until it is on (etcd answers "not enabled" to any password)`,
      hint: 'the guarded switch (`pgfleet etcd auth migrate`) probes every member right after enabling auth and rolls back on failure',
    });
  }
  return finish(input, checks);
}

function adminChecks(admin: AdminView, user: string, prefix: string): PreflightCheck[] {
  if (!admin.userExists) {
    return [
      {
        id: 'user-unknown',
        status: 'fail',
        message: `etcd has no user ${user}`,
        hint: 'create it with `pgfleet etcd tenants apply`, or fix --patroni-etcd-username',
      },
    ];
  }
  const checks: PreflightCheck[] = [];
  const own = prefixRange(prefix);
  if (admin.holdsRoot) {
    checks.push({
      id: 'user-is-root',
      status: 'warn',
      message: `${user} holds the root role: the cluster could overwrite every other cluster's keys`,
      hint: "use the cluster's own tenant user (`pgfleet etcd tenants show`)",
    });
  }
  const covering = admin.writableRanges.some((range) => rangeContains(range, own));
  if (!covering && !admin.holdsRoot) {
    checks.push({
      id: 'range-missing',
      status: 'fail',
      message: `no role of ${user} grants write access to ${formatRange(own)}`,
      hint: 'grant it with `pgfleet etcd tenants apply`',
    });
  }
  const tooWide = admin.writableRanges.filter((range) => rangesOverlap(range, own) && !rangeContains(own, range));
  for (const range of tooWide) {
    checks.push({
      id: 'range-too-wide',
      status: 'warn',
      message: `${user} may write ${formatRange(range)}, wider than its cluster's ${formatRange(own)}`,
      hint: 'narrow it with `pgfleet etcd tenants apply` (it revokes too-wide ranges)',
    });
  }
  return checks;
}

function probeCheck(probe: ProbeOutcome | undefined, user: string, prefix: string): PreflightCheck {
  switch (probe?.kind) {
    case 'ok':
      return { id: 'probe', status: 'pass', message: `${user} wrote, read and deleted a probe key under ${prefix}` };
    case 'authentication-failed':
      return {
        id: 'probe',
        status: 'fail',
        message: `etcd rejected the credentials of ${user}: authentication failed (unknown user or wrong password)`,
        hint: "check --patroni-etcd-password-file against the tenant's password file (`pgfleet etcd tenants show`)",
      };
    case 'permission-denied':
      return {
        id: 'probe',
        status: 'fail',
        message: `${user} authenticated but was denied the ${probe.step.toUpperCase()} of a key under ${prefix}: its role lacks that prefix`,
        hint: 'grant the prefix with its trailing slash: `pgfleet etcd tenants apply`',
      };
    case 'user-name-empty':
      return {
        id: 'probe',
        status: 'fail',
        message: 'etcd answered "user name is empty": the credentials were not used',
        hint: 'check the etcd user name and password file',
      };
    case 'unreachable':
      return {
        id: 'probe',
        status: 'fail',
        message: `etcd unreachable: ${probe.message}`,
        hint: 'check patroni.etcd.hosts in the settings and that etcd runs',
      };
    case 'other':
      return { id: 'probe', status: 'fail', message: `probe of ${prefix} failed: ${probe.message}` };
    default:
      return { id: 'probe', status: 'fail', message: 'the probe did not run' };
  }
}

function finish(input: PreflightInput, checks: PreflightCheck[]): PreflightReport {
  return { ok: checks.every((check) => check.status !== 'fail'), authEnabled: input.authEnabled, checks };
}
