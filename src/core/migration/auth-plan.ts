import { type GateInput, evaluateEnforceGates } from './enforce-gates.js';
import { memberId } from './fleet-member.js';
import type { CensusGateReport } from './census-gates.js';

/** A member whose Patroni YAML pgfleet manages on this host. */
export interface LocalMemberView {
  namespace: string;
  scope: string;
  node: string;
  configFile: string;
  /** etcd user in its YAML now. */
  etcdUsername: string | undefined;
  /** sha256 of its YAML now, to compare with the readiness record. */
  configSha256: string;
  /**
   * A member pgfleet did not create: only `<dcs section>.username/password`
   * of `realConfigFile` (the file its Patroni reads, through symlinks) change.
   */
  adopted?: { realConfigFile: string; dcsSection: string } | undefined;
}

/** A member's file or process on this host that cannot be used (unreadable YAML, two files for one member...). */
export interface LocalProblemView {
  configFile: string;
  running: boolean;
  pid: number | undefined;
  problem: string;
  hint: string;
}

/** A cluster's tenant in etcd (read while planning). */
export interface TenantView {
  user: string;
  role: string;
  userExists: boolean;
  userHasRole: boolean;
  roleExists: boolean;
  /** The role grants readwrite on exactly `<namespace><scope>/`. */
  roleGrantExact: boolean;
  /** Other grants the role holds (prepare revokes them). */
  otherGrants: string[];
  /** Its password file exists on this host. */
  passwordHere: boolean;
  passwordFile: string;
}

export interface PlanInput {
  authEnabled: boolean;
  gate: GateInput;
  /** Root user state (the admin identity). */
  admin: { username: string; exists: boolean; holdsRootRole: boolean; problem?: string | undefined };
  local: LocalMemberView[];
  /** This host's member files and processes that cannot be used: each blocks, named with why. */
  localProblems?: LocalProblemView[] | undefined;
  /** Patroni files and processes of this host that belong to another fleet: named in a note. */
  leftAlone?: Array<{ configFile: string; reason: string }> | undefined;
  /** Keyed `<namespace><scope>`; a cluster whose tenant cannot be named has a problem instead. */
  tenants: Map<string, TenantView>;
  tenantProblems: Map<string, string>;
  endpointsDown: string[];
  roles: Map<string, string>;
  interruptedRun?: { id: string; phase: string } | undefined;
}

export interface PlanBlocker {
  subject: string;
  message: string;
  hint: string;
}

export type MemberPlanStatus = 'ready' | 'will-apply' | 'blocked';

export interface MemberPlan {
  member: string;
  cluster: string;
  where: 'this host' | 'another host';
  role: string | undefined;
  patroniVersion: string | undefined;
  tenantUser: string | undefined;
  status: MemberPlanStatus;
  actions: string[];
  blockers: PlanBlocker[];
}

export interface ClusterPlan {
  cluster: string;
  tenantUser: string | undefined;
  tenantRole: string | undefined;
  members: number;
  /** What `prepare` will do for its tenant. */
  actions: string[];
}

export interface AuthPlan {
  authEnabled: boolean;
  clusters: ClusterPlan[];
  members: MemberPlan[];
  /** Fleet-wide steps, in order: prepare (root), enforce. */
  actions: string[];
  /** Fleet-wide blockers (token type, etcd version, admin, local instances missing from the DCS). */
  blockers: PlanBlocker[];
  notes: string[];
  /** True when anything blocks: the migration would be refused at the gates. */
  blocked: boolean;
  /** The census of the etcd (every client, not only the configured namespaces'), when it was taken. */
  census?: CensusGateReport | undefined;
}

/** The plan with the census's judgement: its failures block like the gates they are. */
export function withCensus(plan: AuthPlan, census: CensusGateReport): AuthPlan {
  const blockers = [
    ...plan.blockers,
    ...census.failures.map((failure) => ({ subject: failure.subject, message: failure.message, hint: failure.hint })),
  ];
  const actions =
    census.clients.length > 0 && !plan.authEnabled
      ? [
          ...plan.actions,
          `enforce: once auth is on, prove ${census.clients.length} declared client(s) with their own credentials (${census.clients.map((client) => client.name).join(', ')}): each reads what it needs and is denied a write and a neighbour's keys`,
        ]
      : plan.actions;
  return { ...plan, actions, blockers, census, blocked: plan.blocked || census.failures.length > 0 };
}

/**
 * `etcd auth plan`: per member, what prepare → apply → enforce will do and
 * what blocks it; fleet-wide, what the gates will refuse. Pure: every input
 * was read live beforehand, nothing is changed.
 */
export function planAuthMigration(input: PlanInput): AuthPlan {
  const { gate } = input;
  const notes: string[] = [];
  const blockers: PlanBlocker[] = [];
  const actions: string[] = [];
  if (input.endpointsDown.length > 0)
    notes.push(
      `etcd endpoint(s) down: ${input.endpointsDown.join(', ')} (enforce goes on while the others keep quorum)`,
    );

  const byCluster = new Map<string, number>();
  for (const member of gate.members)
    byCluster.set(`${member.namespace}${member.scope}`, (byCluster.get(`${member.namespace}${member.scope}`) ?? 0) + 1);

  const clusters: ClusterPlan[] = [...byCluster].map(([cluster, count]) => {
    const tenant = input.tenants.get(cluster);
    return {
      cluster,
      tenantUser: tenant?.user,
      tenantRole: tenant?.role,
      members: count,
      actions: tenant && !input.authEnabled ? tenantActions(cluster, tenant) : [],
    };
  });
  for (const [cluster, problem] of input.tenantProblems) {
    blockers.push({
      subject: cluster,
      message: `cluster ${cluster} cannot get a tenant: ${problem}`,
      hint: 'rename the cluster or adjust tenancy.user_format / role_format in the settings',
    });
  }

  const members = gate.members.map((member): MemberPlan => {
    const id = memberId(member);
    const cluster = `${member.namespace}${member.scope}`;
    const tenant = input.tenants.get(cluster);
    const record = gate.readiness.get(id);
    const local = input.local.find(
      (view) => view.namespace === member.namespace && view.scope === member.scope && view.node === member.name,
    );
    const plan: MemberPlan = {
      member: id,
      cluster,
      where: local ? 'this host' : 'another host',
      role: input.roles.get(id) ?? member.role,
      patroniVersion: gate.patroniVersions.get(id),
      tenantUser: tenant?.user,
      status: 'ready',
      actions: [],
      blockers: [],
    };
    const unreachable = gate.unreachable.get(id);
    if (unreachable !== undefined) {
      plan.blockers.push({
        subject: id,
        message: `its REST API does not answer (${unreachable})`,
        hint: 'every member must answer so it can be paused and probed: bring it back, or remove it from its cluster',
      });
    }
    if (!tenant) {
      plan.status = 'blocked';
      return plan;
    }
    const recordMatches = record !== undefined && record.username === tenant.user;
    if (local) {
      const upToDate =
        recordMatches && record.configSha256 === local.configSha256 && local.etcdUsername === tenant.user;
      if (!upToDate) {
        plan.actions.push(
          local.adopted
            ? `apply: set only ${local.adopted.dcsSection}.username/password to ${tenant.user} in ${local.adopted.realConfigFile}${local.adopted.realConfigFile !== local.configFile ? ` (through ${local.configFile})` : ''}, comments, owner and group kept, others' access removed; POST /reload, prove its Patroni re-read that file, record it ready`
            : `apply: write the credentials of ${tenant.user} into ${local.configFile} (0600), POST /reload, prove its Patroni re-read that file, record it ready`,
        );
        if (recordMatches && record.configSha256 !== local.configSha256)
          plan.actions.push('(its YAML changed since the last apply)');
      }
    } else if (!recordMatches) {
      plan.blockers.push({
        subject: id,
        message: record
          ? `it was applied with user ${record.username}, but its cluster's tenant is ${tenant.user}`
          : 'it has no readiness record: its Patroni has no etcd credentials yet, and it runs on another host',
        hint: `run \`pgfleet etcd auth apply --host-only\` on its host${member.apiUrl ? ` (${hostOf(member.apiUrl)})` : ''}${tenant.userExists ? '' : ' after `pgfleet etcd auth prepare`'}`,
      });
    }
    if (!input.authEnabled)
      plan.actions.push('enforce: paused, then writes to the DCS with its own credentials once auth is on');
    plan.status =
      plan.blockers.length > 0
        ? 'blocked'
        : plan.actions.some((action) => action.startsWith('apply'))
          ? 'will-apply'
          : 'ready';
    return plan;
  });

  const localMissing = input.local.filter(
    (view) =>
      !gate.members.some(
        (member) => member.namespace === view.namespace && member.scope === view.scope && member.name === view.node,
      ),
  );
  for (const view of localMissing) {
    blockers.push({
      subject: `${view.namespace}${view.scope}/${view.node}`,
      message: `local ${view.adopted ? 'member' : 'instance'} ${view.node} (${view.configFile}) is not registered in the DCS: its Patroni is not running`,
      hint: view.adopted
        ? 'start it so it can be applied and probed, or move its file out of the configured locations (settings patroni.member_files)'
        : 'start it so it can be applied and probed, or remove its configuration',
    });
  }
  for (const problem of input.localProblems ?? []) {
    blockers.push({
      subject: problem.configFile,
      message: `${problem.running ? `the Patroni running with it (pid ${problem.pid ?? '?'}) cannot be adopted` : 'this member file cannot be used'}: ${problem.problem}`,
      hint: problem.hint,
    });
  }
  const leftAlone = input.leftAlone ?? [];
  if (leftAlone.length > 0)
    notes.push(
      `left alone on this host, not this fleet's: ${leftAlone
        .slice(0, 3)
        .map((file) => `${file.configFile} (${file.reason})`)
        .join('; ')}${leftAlone.length > 3 ? `; and ${leftAlone.length - 3} more` : ''}`,
    );

  if (input.authEnabled) {
    notes.push('etcd authentication is already on: nothing to migrate (`pgfleet etcd auth status` shows the fleet)');
  } else {
    for (const failure of evaluateEnforceGates(gate)) {
      // Readiness and reachability are per member (above); admin is handled below: prepare creates root.
      // A local instance missing from the DCS is named above already, with the fix for this host.
      const named =
        failure.gate === 'membership' &&
        localMissing.some((view) => `${view.namespace}${view.scope}/${view.node}` === failure.subject);
      if (
        failure.gate === 'token-type' ||
        failure.gate === 'etcd-version' ||
        failure.gate === 'no-members' ||
        (failure.gate === 'membership' && !named)
      )
        blockers.push({ subject: failure.subject, message: failure.message, hint: failure.hint });
    }
    if (!input.admin.exists)
      actions.push(
        `prepare: create user ${input.admin.username} with the root role (password from etcd_admin.password_file)`,
      );
    else if (!input.admin.holdsRootRole) actions.push(`prepare: grant the root role to ${input.admin.username}`);
    else if (input.admin.problem)
      blockers.push({
        subject: 'etcd admin',
        message: `the etcd admin identity cannot be used: ${input.admin.problem}`,
        hint: 'check etcd_admin in the settings',
      });
    if (input.interruptedRun)
      actions.push(
        `enforce: first roll back the interrupted run ${input.interruptedRun.id} (phase ${input.interruptedRun.phase})`,
      );
    const clusterCount = clusters.length;
    actions.push(
      `enforce: check the gates, pause ${clusterCount} cluster(s), auth enable, probe ${gate.members.length} member(s) and ${clusterCount} tenant(s), resume; auth disable again at the first failed probe`,
    );
  }
  const blocked =
    blockers.length > 0 || members.some((member) => member.blockers.length > 0 || member.status === 'blocked');
  return { authEnabled: input.authEnabled, clusters, members, actions, blockers, notes, blocked };
}

function tenantActions(cluster: string, tenant: TenantView): string[] {
  const actions: string[] = [];
  if (!tenant.roleExists) actions.push(`create role ${tenant.role}`);
  for (const grant of tenant.otherGrants) actions.push(`revoke ${grant} from ${tenant.role}`);
  if (!tenant.roleGrantExact) actions.push(`grant readwrite on ${cluster}/ (prefix, with the slash) to ${tenant.role}`);
  if (!tenant.userExists)
    actions.push(
      `create user ${tenant.user}${tenant.passwordHere ? ` (password from ${tenant.passwordFile})` : ` (password generated into ${tenant.passwordFile}, 0600)`}`,
    );
  else if (!tenant.passwordHere)
    actions.push(
      `set the password of ${tenant.user} from a new ${tenant.passwordFile} (0600): no file holds it on this host`,
    );
  if (!tenant.userHasRole) actions.push(`grant role ${tenant.role} to ${tenant.user}`);
  return actions.map((action) => `prepare: ${action}`);
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/** Members on other hosts that still need `etcd auth apply --host-only` there (what the coordinator waits for). */
export function pendingOnOtherHosts(plan: Pick<AuthPlan, 'members'>): PlanBlocker[] {
  return plan.members.filter((member) => member.where === 'another host').flatMap((member) => member.blockers);
}
