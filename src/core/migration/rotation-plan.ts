import {
  type CompatibilityVerdict,
  type QueryTokenType,
  evaluateCompatibility,
  worseVerdict,
} from '../versions/compatibility-matrix.js';

/**
 * The plan of `etcd tenants rotate`, decided from facts only: per cluster,
 * its tenant user and password file, each member (on this host: its YAML is
 * written here; elsewhere: `rotate --host-only` there), the compatibility
 * matrix's verdict for rotating a password under each member's Patroni and
 * the etcd in use, and what blocks it. Nothing changes while a blocker stands.
 */
export interface RotationMemberFacts {
  member: string;
  where: 'here' | 'elsewhere';
  /** From its GET /patroni; undefined when it did not answer. */
  patroniVersion: string | undefined;
  state: string | undefined;
  unreachable?: string | undefined;
  /** On this host: why its YAML does not hold the tenant's current credentials (rolling back would be wrong). */
  yamlDrift?: string | undefined;
  /** Elsewhere: its host recorded the tenant's new password (`rotate --host-only` ran there). */
  hostStepDone?: boolean | undefined;
}

export interface RotationClusterFacts {
  /** `<namespace><scope>` */
  cluster: string;
  user: string | undefined;
  /** Why no tenant user can be named for it. */
  userProblem?: string | undefined;
  userExists: boolean;
  passwordFile: string | undefined;
  /** Does etcd accept the password in the file (checked only with auth on)? */
  passwordCheck: 'accepted' | 'refused' | 'missing' | 'not-checked';
  members: RotationMemberFacts[];
}

export interface RotationFacts {
  authEnabled: boolean;
  tokenType: QueryTokenType;
  /** Versions of the etcd endpoints that answered. */
  etcdVersions: string[];
  clusters: RotationClusterFacts[];
  /** Scopes asked for that no namespace holds. */
  unknownScopes: string[];
}

export type RotationMemberAction = 'write-here' | 'host-step' | 'host-step-done';

export interface PlannedRotationMember {
  member: string;
  where: 'here' | 'elsewhere';
  patroniVersion: string | undefined;
  verdict: CompatibilityVerdict;
  action: RotationMemberAction;
}

export interface PlannedRotationCluster {
  cluster: string;
  user: string | undefined;
  passwordFile: string | undefined;
  members: PlannedRotationMember[];
  blockers: string[];
  notes: string[];
}

export interface RotationPlan {
  authEnabled: boolean;
  tokenType: QueryTokenType;
  clusters: PlannedRotationCluster[];
  /** Blockers of the whole run (a scope not found, no etcd endpoint answering). */
  blockers: string[];
  blocked: boolean;
}

export function planRotation(facts: RotationFacts): RotationPlan {
  const blockers = [
    ...facts.unknownScopes.map((scope) => `no cluster ${scope} in the DCS under the namespaces pgfleet scans`),
    ...(facts.etcdVersions.length === 0 ? ['no etcd endpoint answered with its version'] : []),
    ...(facts.clusters.length === 0 && facts.unknownScopes.length === 0 ? ['no cluster to rotate'] : []),
  ];
  const clusters = facts.clusters.map((cluster) => planCluster(cluster, facts));
  return {
    authEnabled: facts.authEnabled,
    tokenType: facts.tokenType,
    clusters,
    blockers,
    blocked: blockers.length > 0 || clusters.some((cluster) => cluster.blockers.length > 0),
  };
}

function planCluster(cluster: RotationClusterFacts, facts: RotationFacts): PlannedRotationCluster {
  const blockers: string[] = [];
  const notes: string[] = [];
  if (!cluster.user) blockers.push(cluster.userProblem ?? `${cluster.cluster} has no tenant user`);
  else if (!cluster.userExists)
    blockers.push(`etcd user ${cluster.user} does not exist (create it with \`pgfleet etcd tenants apply\`)`);
  if (cluster.passwordCheck === 'missing')
    blockers.push(
      `the password file of ${cluster.user ?? 'its tenant'} (${cluster.passwordFile ?? 'none'}) is not on this host: rotate from a host that holds it`,
    );
  if (cluster.passwordCheck === 'refused')
    blockers.push(
      `etcd refuses the password in ${cluster.passwordFile}: the file and etcd disagree already (\`pgfleet etcd tenants plan\` shows it)`,
    );
  if (cluster.passwordCheck === 'not-checked')
    notes.push(
      'etcd auth is off: etcd accepts any password, so the old one cannot be shown refused; the new one is set all the same',
    );
  if (cluster.members.length === 0) blockers.push(`${cluster.cluster} has no member registered in the DCS`);
  const members = cluster.members.map((member): PlannedRotationMember => {
    const verdict = memberVerdict(member, facts);
    if (member.unreachable) blockers.push(`${member.member} does not answer: ${member.unreachable}`);
    else if (member.state !== undefined && member.state !== 'running')
      blockers.push(`${member.member} is ${member.state}, not running`);
    if (member.yamlDrift) blockers.push(`${member.member}: ${member.yamlDrift} (\`pgfleet etcd auth apply\` fixes it)`);
    if (verdict.verdict === 'unsafe') blockers.push(`${member.member}: unsafe to rotate: ${verdict.reasons[0]}`);
    if (verdict.verdict === 'unknown' && member.patroniVersion !== undefined)
      blockers.push(`${member.member}: not verified: ${verdict.reasons[0]}`);
    if (verdict.verdict === 'degraded') notes.push(`${member.member}: ${verdict.reasons[0]}`);
    return {
      member: member.member,
      where: member.where,
      patroniVersion: member.patroniVersion,
      verdict: verdict.verdict,
      action: member.where === 'here' ? 'write-here' : member.hostStepDone ? 'host-step-done' : 'host-step',
    };
  });
  const pending = members.filter((member) => member.action === 'host-step');
  if (pending.length > 0)
    notes.push(
      `${pending.map((member) => member.member).join(', ')} ${pending.length === 1 ? 'is' : 'are'} on other hosts: after this host's members, copy ${cluster.passwordFile ?? 'the password file'} (0600) there and run \`pgfleet etcd tenants rotate ${cluster.cluster.split('/').at(-1)} --host-only\` on each, then \`rotate\` again here; the cluster stays paused in between`,
    );
  return { cluster: cluster.cluster, user: cluster.user, passwordFile: cluster.passwordFile, members, blockers, notes };
}

/** The worst verdict over every etcd version in use; `unknown` when the Patroni version is not known. */
function memberVerdict(
  member: RotationMemberFacts,
  facts: RotationFacts,
): { verdict: CompatibilityVerdict; reasons: string[] } {
  if (member.patroniVersion === undefined) return { verdict: 'unknown', reasons: ['its Patroni version is not known'] };
  let verdict: CompatibilityVerdict = 'safe';
  const reasons: string[] = [];
  for (const etcdVersion of new Set(facts.etcdVersions)) {
    const result = evaluateCompatibility({
      patroniVersion: member.patroniVersion,
      etcdVersion,
      tokenType: facts.tokenType,
      operation: 'rotate-password',
      authEnabled: facts.authEnabled,
      hasCredentials: true,
    });
    if (worseVerdict(verdict, result.verdict) !== verdict) reasons.unshift(...result.reasons);
    else reasons.push(...result.reasons);
    verdict = worseVerdict(verdict, result.verdict);
  }
  return { verdict, reasons };
}
