import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError, describeError } from '../../core/errors.js';
import { configPaused, planKeyCopy, v2Directory } from '../../core/migration/etcd-v3-keys.js';
import { type ClusterMoveRecord, type MemberMoveRecord, v3RestartOrder } from '../../core/migration/etcd-v3-run.js';
import type { FleetMember } from '../../core/migration/fleet-member.js';
import type { EtcdClient, EtcdCredentials } from '../../adapters/etcd/etcd-client.js';
import type { V2Keys } from '../../adapters/etcd/v2-keys.js';
import { pauseClusters, resumeClusters } from '../../fleet/cluster-pause.js';
import type { FleetRestClients } from '../../fleet/fleet-rest.js';
import { restartAndVerify } from '../../fleet/member-restart.js';
import { isPrimaryRole } from '../../fleet/member-role.js';
import { probeMemberWrites } from '../../fleet/member-write-probe.js';
import { restartAdoptedPatroni } from '../../node/adopted-patroni-restart.js';
import { postmasterKept } from '../../node/patroni-restart.js';
import { memberSections, switchMemberSection } from './member-section-switch.js';
import type { HostMember, V3MoveFleet } from './v3-move-fleet.js';
import type { V2ClusterPlan } from './v3-move-facts.js';

/** The moments a move reports to its caller (a test kills its coordinator at one of them). */
export type MoveMilestone = 'paused' | 'copied' | 'rewritten' | 'restarted' | 'verified' | 'resumed';

export interface ClusterMoveContext {
  fleet: V3MoveFleet;
  admin: EtcdClient;
  rest: FleetRestClients;
  v2: V2Keys;
  progress: (message: string) => void;
  /** Saves the cluster's record in the run state (fenced by the run lock) before each step. */
  save: (record: ClusterMoveRecord) => Promise<void>;
  afterMilestone?: ((cluster: string, milestone: MoveMilestone) => Promise<void>) | undefined;
  /** How long a restarted member has to answer and write, and the cluster to settle on its new keyspace. */
  memberTimeoutMs: number;
}

/**
 * Moves one cluster from etcd's v2 API to v3. Pause (written to the v2
 * config), copy the durable keys to v3 in one transaction (every key new
 * there), rewrite each member's YAML `etcd:` → `etcd3:`, restart each Patroni
 * while paused (the leader first: PostgreSQL keeps running), check every
 * member registered in v3, the same leader holding the leader key, timelines
 * unchanged and each member writing to v3; resume (written to the v3 config);
 * remove the cluster's v2 keys. Any failure before the resume rolls the
 * cluster back (see rollBackCluster). Returns the cluster's final record.
 */
export async function moveCluster(plan: V2ClusterPlan, ctx: ClusterMoveContext): Promise<ClusterMoveRecord> {
  const { facts } = plan;
  const cluster = facts.cluster;
  const leader = facts.leader!;
  const alreadyPaused = facts.members.every((member) => member.status?.pause === true);
  let record: ClusterMoveRecord = {
    cluster,
    namespace: facts.namespace,
    scope: facts.scope,
    step: 'pausing',
    leader,
    timelines: Object.fromEntries(facts.members.map((member) => [member.name, member.status?.timeline ?? 0])),
    // Recorded before the pause is asked: a run that stops right after it still resumes the cluster.
    pausedByUs: !alreadyPaused,
    copiedKeys: [],
    members: v3RestartOrder(facts.members, leader).map((member) => ({
      name: member.name,
      configFile: plan.hostMembers.get(member.name)!.instance.configFile,
      addedKeys: [],
      rewritten: false,
      restarted: false,
    })),
  };
  const save = async (next: Partial<ClusterMoveRecord>): Promise<void> => {
    record = { ...record, ...next };
    await ctx.save(record);
  };
  const milestone = async (name: MoveMilestone): Promise<void> => ctx.afterMilestone?.(cluster, name);
  const setMember = async (name: string, change: Partial<MemberMoveRecord>): Promise<void> =>
    save({ members: record.members.map((member) => (member.name === name ? { ...member, ...change } : member)) });
  await save({});
  try {
    ctx.progress(
      `${cluster}: pause${alreadyPaused ? ' (already paused by an operator: it stays paused)' : ", written to its v2 config through the leader's REST API"}`,
    );
    const paused = await pauseClusters(plan.fleetMembers, ctx.rest, { onNudge: ctx.progress });
    // An operator may have paused it since the plan: then it stays paused after the move.
    await save({ pausedByUs: paused.pausedByUs.includes(cluster) });
    await milestone('paused');

    const keys = planKeyCopy(facts.base, await ctx.v2.readTree(v2Directory(facts.base)));
    if (keys.refused.length > 0 || keys.unknown.length > 0)
      throw new PgfleetError(
        'V3_KEYS_CHANGED',
        `${cluster}: its v2 keys changed since the plan (${[...keys.refused.map((entry) => entry.key), ...keys.unknown].join(', ')})`,
        { exitCode: 3 },
      );
    if (!configPaused(keys, facts.base))
      throw new PgfleetError(
        'V3_CONFIG_NOT_PAUSED',
        `${cluster}: its v2 config does not say pause: true after the pause`,
        {
          exitCode: 3,
        },
      );
    await save({ step: 'copying', copiedKeys: keys.copy.map((entry) => entry.key) });
    const copied = await ctx.admin.txn({
      compare: keys.copy.map((entry) => ({ key: entry.key, target: 'createRevision' as const, value: 0 })),
      success: keys.copy.map((entry) => ({ put: { key: entry.key, value: entry.value } })),
    });
    if (!copied.succeeded)
      throw new PgfleetError(
        'V3_PREFIX_TAKEN',
        `${cluster}: a key under ${facts.base} appeared in v3 since the plan: nothing was copied`,
        { exitCode: 3 },
      );
    ctx.progress(
      `${cluster}: copied ${keys.copy.length} durable keys to v3 (${keys.copy.map((entry) => entry.key.slice(facts.base.length)).join(', ')}); ${keys.leftToPatroni.length} leader/member keys left to Patroni`,
    );
    await milestone('copied');

    await save({ step: 'rewriting' });
    const credentials = await v3CredentialsFor(ctx, facts.namespace, facts.scope);
    for (const member of record.members) {
      const host = plan.hostMembers.get(member.name)!;
      await setMember(member.name, { rewritten: true });
      const switched = await switchMemberSection(host, 'etcd3', { credentials }).catch((error: unknown) => {
        throw new PgfleetError(
          'V3_MEMBER_FILE_NOT_WRITTEN',
          `${cluster}/${member.name}: its YAML (${host.instance.configFile}) could not be rewritten: ${describeError(error)}`,
          { exitCode: 3, cause: error },
        );
      });
      await setMember(member.name, { addedKeys: switched.addedKeys });
      ctx.progress(
        `${cluster}/${member.name}: ${host.instance.configFile}: etcd: → etcd3:${switched.addedKeys.length > 0 ? ' (v3 auth is on: its tenant credentials added)' : ''}`,
      );
    }
    await milestone('rewritten');

    await save({ step: 'restarting' });
    for (const member of record.members) {
      await setMember(member.name, { restarted: true });
      await restartMember(ctx, plan.hostMembers.get(member.name)!, `${cluster}/${member.name}`, 'v3');
    }
    await milestone('restarted');

    await save({ step: 'verifying' });
    await verifyOnV3(ctx, record, plan.fleetMembers, facts.base);
    const probes = await probeMemberWrites(plan.fleetMembers, ctx.rest);
    const refused = probes.filter((probe) => !probe.ok);
    if (refused.length > 0)
      throw new PgfleetError(
        'V3_PROBE_FAILED',
        `${cluster}: DCS write probe failed on v3: ${refused.map((probe) => `${probe.member} (${probe.detail})`).join('; ')}`,
        { exitCode: 3 },
      );
    ctx.progress(
      `${cluster}: every member registered in v3, ${leader} holds the leader key, timelines unchanged, each member writes to v3`,
    );
    await milestone('verified');
  } catch (error) {
    const reason = describeError(error);
    ctx.progress(`${cluster}: ${reason}: rolling the cluster back to v2`);
    return rollBackCluster({ ...record, detail: reason }, ctx);
  }
  // Verified on v3: from here the move is finished, never undone.
  return finishMovedCluster(record, ctx);
}

/** Resume on v3 (when this run paused the cluster) and remove its v2 keys. */
export async function finishMovedCluster(
  given: ClusterMoveRecord,
  ctx: ClusterMoveContext,
): Promise<ClusterMoveRecord> {
  let record = given;
  const save = async (next: Partial<ClusterMoveRecord>): Promise<void> => {
    record = { ...record, ...next };
    await ctx.save(record);
  };
  const members = recordedMembers(record);
  if (record.step !== 'removing-v2') {
    await save({ step: 'resuming' });
    if (record.pausedByUs) {
      ctx.progress(`${record.cluster}: resume, written to its v3 config`);
      const { lagging } = await resumeClusters([record.cluster], members, ctx.rest, { onNudge: ctx.progress });
      if (lagging.length > 0)
        ctx.progress(`${record.cluster}: ${lagging.join(', ')} still showed pause=true after 30 s`);
    }
    await ctx.afterMilestone?.(record.cluster, 'resumed');
  }
  await save({ step: 'removing-v2' });
  const base = `${record.cluster}/`;
  await ctx.v2.deleteTree(v2Directory(base));
  const left = await ctx.v2.readTree(v2Directory(base));
  if (left.length > 0)
    throw new PgfleetError(
      'V3_V2_KEYS_LEFT',
      `${record.cluster}: moved to v3, but ${left.length} v2 key(s) came back after the removal (${left.map((entry) => entry.key).join(', ')}): a client still writes there`,
      {
        exitCode: 4,
        hint: 'find the member or client still on the etcd: section, then run `pgfleet etcd v3 rollback` to finish',
      },
    );
  ctx.progress(
    `${record.cluster}: its v2 keys removed (a v2 copy would show a ghost cluster to any etcd: client and stays open whatever v3 auth says)`,
  );
  await save({ step: 'moved', detail: undefined });
  return record;
}

/**
 * Puts a cluster back on v2: each member's YAML back to `etcd:` (keys the
 * move added removed), each Patroni that may run on v3 restarted while paused
 * (the leader first), the same leader holding the v2 leader key again, resume
 * in v2 when this run paused the cluster, the v3 copies removed. A member
 * that cannot be put back leaves the cluster paused, its record
 * 'rollback-failed', for an operator.
 */
export async function rollBackCluster(given: ClusterMoveRecord, ctx: ClusterMoveContext): Promise<ClusterMoveRecord> {
  let record: ClusterMoveRecord = { ...given, step: 'rolling-back' };
  await ctx.save(record);
  const failures: string[] = [];
  let restartedAny = false;
  for (const member of v3RestartOrder(record.members, record.leader)) {
    const id = `${record.cluster}/${member.name}`;
    const host = hostMemberOf(ctx.fleet, record, member);
    if (!host) {
      failures.push(`${id}: its YAML (${member.configFile}) is not on this host`);
      continue;
    }
    try {
      const sections = await memberSections(host);
      if (sections.has('etcd3') && !sections.has('etcd')) {
        await switchMemberSection(host, 'etcd', { removeKeys: member.addedKeys });
        ctx.progress(`${id}: ${host.instance.configFile}: etcd3: → etcd: again`);
      }
      if (member.restarted) {
        await restartMember(ctx, host, id, 'v2');
        restartedAny = true;
      }
      record = {
        ...record,
        members: record.members.map((entry) =>
          entry.name === member.name ? { ...entry, rewritten: false, restarted: false, addedKeys: [] } : entry,
        ),
      };
      await ctx.save(record);
    } catch (error) {
      failures.push(`${id}: ${describeError(error)}`);
    }
  }
  const members = recordedMembers(record);
  if (failures.length === 0 && restartedAny) {
    try {
      await settledOnV2(ctx, record);
    } catch (error) {
      failures.push(describeError(error));
    }
  }
  if (failures.length > 0) {
    record = {
      ...record,
      step: 'rollback-failed',
      detail: `${record.detail ? `${record.detail}; ` : ''}rollback failed: ${failures.join('; ')}`,
    };
    await ctx.save(record);
    ctx.progress(`${record.cluster}: left paused for an operator: ${failures.join('; ')}`);
    return record;
  }
  if (record.pausedByUs) {
    ctx.progress(`${record.cluster}: resume, written to its v2 config`);
    await resumeClusters([record.cluster], members, ctx.rest, { onNudge: ctx.progress });
  }
  const removed = await ctx.admin.delete(`${record.cluster}/`, { prefix: true });
  ctx.progress(`${record.cluster}: back on v2, ${removed} v3 key(s) removed`);
  record = { ...record, step: 'rolled-back', copiedKeys: [] };
  await ctx.save(record);
  return record;
}

async function restartMember(ctx: ClusterMoveContext, host: HostMember, id: string, on: 'v2' | 'v3'): Promise<void> {
  const daemon = ctx.fleet.patroniDaemon;
  ctx.progress(`${id}: restart Patroni on ${on} (paused: PostgreSQL keeps running)`);
  if (host.adopted) {
    await restartAdoptedMember(ctx, host, id, on);
    return;
  }
  if (!daemon)
    throw new PgfleetError('V3_RESTART_UNAVAILABLE', `${id}: pgfleet cannot restart this Patroni`, { exitCode: 4 });
  const verified = await restartAndVerify(host.instance, daemon, ctx.rest, ctx.memberTimeoutMs);
  if (!verified.ok) throw new PgfleetError('V3_MEMBER_NOT_BACK', `${id}: ${verified.reason}`, { exitCode: 3 });
  const kept = postmasterKept(verified.postmasterBefore);
  ctx.progress(
    `${id}: back on ${on} after ${(verified.backAfterMs / 1000).toFixed(1)} s, writing to the DCS${kept === false ? ' (its PostgreSQL was restarted!)' : kept ? ', PostgreSQL kept running' : ''}`,
  );
}

/**
 * A Patroni pgfleet did not start (adopted): restarted the way its
 * supervisor allows (systemd unit, or its own command line again), only
 * while it sees its cluster paused, then back running and writing to the DCS.
 */
async function restartAdoptedMember(
  ctx: ClusterMoveContext,
  host: HostMember,
  id: string,
  on: 'v2' | 'v3',
): Promise<void> {
  const member: FleetMember = {
    namespace: host.instance.namespace,
    scope: host.instance.scope,
    name: host.instance.node,
    apiUrl: undefined,
    role: undefined,
    managedHere: false,
  };
  const rest = ctx.rest.for(member);
  const before = await rest.nodeStatus().catch(() => undefined);
  if (before?.pause !== true)
    throw new PgfleetError(
      'V3_NOT_PAUSED',
      `${id}: it does not see its cluster paused: restarting its Patroni would stop PostgreSQL`,
      {
        exitCode: 3,
      },
    );
  const started = Date.now();
  await restartAdoptedPatroni(host.realConfigFile);
  const deadline = started + ctx.memberTimeoutMs;
  for (;;) {
    const status = await rest.nodeStatus().catch(() => undefined);
    if (status?.state === 'running') break;
    if (Date.now() > deadline)
      throw new PgfleetError(
        'V3_MEMBER_NOT_BACK',
        `${id}: not back within ${Math.round(ctx.memberTimeoutMs / 1000)} s`,
        {
          exitCode: 3,
        },
      );
    await sleep(300);
  }
  const [probe] = await probeMemberWrites([member], ctx.rest);
  if (!probe?.ok)
    throw new PgfleetError(
      'V3_MEMBER_NOT_BACK',
      `${id}: back, but its DCS write probe failed (${probe?.detail ?? 'no answer'})`,
      {
        exitCode: 3,
      },
    );
  const kept = before.postmaster_start_time === (await rest.nodeStatus().catch(() => undefined))?.postmaster_start_time;
  ctx.progress(
    `${id}: back on ${on} after ${((Date.now() - started) / 1000).toFixed(1)} s, writing to the DCS${kept ? ', PostgreSQL kept running' : ' (its PostgreSQL was restarted!)'}`,
  );
}

/** Waits until every member is registered in v3, the old leader holds the leader key and no timeline or role moved. */
async function verifyOnV3(
  ctx: ClusterMoveContext,
  record: ClusterMoveRecord,
  members: FleetMember[],
  base: string,
): Promise<void> {
  const deadline = Date.now() + Math.max(ctx.memberTimeoutMs, 30_000);
  let missing: string[] = [];
  for (;;) {
    missing = [];
    const keys = new Map((await ctx.admin.getPrefix(base)).map((entry) => [entry.key, entry.value]));
    for (const member of record.members)
      if (!keys.has(`${base}members/${member.name}`)) missing.push(`${member.name} not registered in v3`);
    const holder = keys.get(`${base}leader`);
    if (holder !== record.leader)
      missing.push(
        `leader key ${holder === undefined ? 'not taken yet' : `held by ${holder}`}, expected ${record.leader}`,
      );
    for (const member of members) {
      const status = await ctx.rest
        .for(member)
        .nodeStatus()
        .catch(() => undefined);
      if (!status) {
        missing.push(`${member.name} does not answer`);
        continue;
      }
      const wasLeader = member.name === record.leader;
      if (isPrimaryRole(status.role) !== wasLeader) missing.push(`${member.name} is ${status.role}`);
      const before = record.timelines[member.name];
      if (before !== undefined && status.timeline !== before)
        missing.push(`${member.name} on timeline ${status.timeline ?? '?'} (was ${before})`);
    }
    if (missing.length === 0) return;
    if (Date.now() > deadline) break;
    await sleep(500);
  }
  throw new PgfleetError('V3_NOT_SETTLED', `${record.cluster} did not settle on v3: ${missing.join('; ')}`, {
    exitCode: 3,
  });
}

/** After a rollback's restarts: the old leader holds the v2 leader key again and every member is registered there. */
async function settledOnV2(ctx: ClusterMoveContext, record: ClusterMoveRecord): Promise<void> {
  const deadline = Date.now() + Math.max(ctx.memberTimeoutMs, 30_000);
  const base = `${record.cluster}/`;
  let missing: string[] = [];
  for (;;) {
    const keys = new Map((await ctx.v2.readTree(v2Directory(base))).map((entry) => [entry.key, entry.value]));
    missing = record.members
      .filter((member) => !keys.has(`${base}members/${member.name}`))
      .map((member) => `${member.name} not registered in v2`);
    const holder = keys.get(`${base}leader`);
    if (holder !== record.leader)
      missing.push(
        `v2 leader key ${holder === undefined ? 'not taken' : `held by ${holder}`}, expected ${record.leader}`,
      );
    if (missing.length === 0) return;
    if (Date.now() > deadline) break;
    await sleep(500);
  }
  throw new PgfleetError(
    'V3_ROLLBACK_NOT_SETTLED',
    `${record.cluster} did not settle on v2 again: ${missing.join('; ')}`,
    {
      exitCode: 4,
    },
  );
}

async function v3CredentialsFor(
  ctx: ClusterMoveContext,
  namespace: string,
  scope: string,
): Promise<EtcdCredentials | undefined> {
  if (!(await ctx.admin.isAuthEnabled())) return undefined;
  const credentials = await ctx.fleet.tenants.credentialsFor(namespace, scope);
  if (!credentials)
    throw new PgfleetError(
      'V3_NO_CREDENTIALS',
      `etcd v3 auth is on and this host has no tenant credentials for ${namespace}${scope}`,
      {
        exitCode: 3,
      },
    );
  return credentials;
}

/** The cluster's members as REST clients reach them: each through its own YAML on this host. */
export function recordedMembers(record: ClusterMoveRecord): FleetMember[] {
  return record.members.map((member) => ({
    namespace: record.namespace,
    scope: record.scope,
    name: member.name,
    apiUrl: undefined,
    role: member.name === record.leader ? 'master' : 'replica',
    managedHere: true,
  }));
}

function hostMemberOf(fleet: V3MoveFleet, record: ClusterMoveRecord, member: MemberMoveRecord): HostMember | undefined {
  return fleet.hostMembers.find(
    (candidate) =>
      candidate.instance.configFile === member.configFile ||
      (candidate.instance.scope === record.scope &&
        candidate.instance.namespace === record.namespace &&
        candidate.instance.node === member.name),
  );
}
