import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError, describeError } from '../../core/errors.js';
import { HOST_STEP_COMMAND, hostsNotReadyMessage, restHostOf } from '../../core/migration/etcd-v3-host-steps.js';
import { configPaused, planKeyCopy, v2Directory } from '../../core/migration/etcd-v3-keys.js';
import { type ClusterMoveRecord, type MemberMoveRecord, v3RestartOrder } from '../../core/migration/etcd-v3-run.js';
import type { FleetMember } from '../../core/migration/fleet-member.js';
import type { V2Keys } from '../../adapters/etcd/v2-keys.js';
import { pauseClusters, resumeClusters } from '../../fleet/cluster-pause.js';
import { isPrimaryRole } from '../../fleet/member-role.js';
import { probeMemberWrites } from '../../fleet/member-write-probe.js';
import {
  type MemberMoveContext,
  putMemberBack,
  restartMember,
  rewriteMemberToV3,
  v3CredentialsFor,
} from './member-move.js';
import { type HostStepChannel, requestHostStep } from './remote-member-steps.js';
import type { HostMember, V3MoveFleet } from './v3-move-fleet.js';
import type { V2ClusterPlan } from './v3-move-facts.js';

/** The moments a move reports to its caller (a test kills its coordinator at one of them). */
export type MoveMilestone = 'paused' | 'copied' | 'rewritten' | 'restarted' | 'verified' | 'resumed';

export interface ClusterMoveContext extends MemberMoveContext {
  v2: V2Keys;
  /** Saves the cluster's record in the run state (fenced by the run lock) before each step. */
  save: (record: ClusterMoveRecord) => Promise<void>;
  afterMilestone?: ((cluster: string, milestone: MoveMilestone) => Promise<void>) | undefined;
  /** Where members on other hosts are asked for (absent: a member without a YAML here cannot be moved). */
  hostSteps?: HostStepChannel | undefined;
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
    members: v3RestartOrder(facts.members, leader).map((member) => {
      const host = plan.hostMembers.get(member.name);
      return {
        name: member.name,
        configFile: host?.instance.configFile ?? '',
        apiUrl: member.apiUrl,
        ...(host ? {} : { remote: true }),
        addedKeys: [],
        rewritten: false,
        restarted: false,
      };
    }),
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
      const host = plan.hostMembers.get(member.name);
      // A member on another host is rewritten by its own host's step, in restart order below.
      if (!host) continue;
      await setMember(member.name, { rewritten: true });
      const switched = await rewriteMemberToV3(ctx, host, `${cluster}/${member.name}`, credentials);
      await setMember(member.name, { addedKeys: switched.addedKeys });
    }
    await milestone('rewritten');

    for (const member of record.members) {
      const host = plan.hostMembers.get(member.name);
      if (host) {
        await save({ step: 'restarting' });
        await setMember(member.name, { restarted: true });
        await restartMember(ctx, host, `${cluster}/${member.name}`, 'v3');
        continue;
      }
      await save({ step: 'awaiting-hosts' });
      // Recorded before the request: its host may rewrite and restart it from now on.
      await setMember(member.name, { rewritten: true, restarted: true });
      const moved = await awaitRemoteMember(ctx, record, member.name, 'move').catch(async (error: unknown) => {
        // Withdrawn before any host took it: nothing to put back there.
        if (error instanceof PgfleetError && (error.details as { untouched?: boolean } | undefined)?.untouched)
          await setMember(member.name, { rewritten: false, restarted: false });
        throw error;
      });
      await setMember(member.name, { configFile: moved.configFile ?? '', addedKeys: moved.addedKeys });
      ctx.progress(`${cluster}/${member.name}: moved by its host ${moved.host}: ${moved.detail}`);
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
    if (member.remote) {
      try {
        if (member.rewritten || member.restarted) {
          const back = await awaitRemoteMember(ctx, record, member.name, 'rollback');
          ctx.progress(`${id}: put back on etcd: by its host ${back.host}: ${back.detail}`);
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
      continue;
    }
    const host = hostMemberOf(ctx.fleet, record, member);
    if (!host) {
      failures.push(`${id}: its YAML (${member.configFile}) is not on this host`);
      continue;
    }
    try {
      await putMemberBack(ctx, host, id, { addedKeys: member.addedKeys, restart: member.restarted });
      if (member.restarted) restartedAny = true;
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

/** The cluster's members as REST clients reach them: through its own YAML on this host, or its registered REST API. */
export function recordedMembers(record: ClusterMoveRecord): FleetMember[] {
  return record.members.map((member) => ({
    namespace: record.namespace,
    scope: record.scope,
    name: member.name,
    apiUrl: member.apiUrl,
    role: member.name === record.leader ? 'master' : 'replica',
    managedHere: member.remote !== true,
  }));
}

/**
 * A member on another host moved (or put back) by its host's `--host-only`
 * step: the request written, its answer awaited. No answer by the deadline
 * is V3_HOSTS_NOT_READY naming the member, its host and the command; a
 * refusal or failure there is V3_HOST_STEP_FAILED with the host's words.
 */
async function awaitRemoteMember(
  ctx: ClusterMoveContext,
  record: ClusterMoveRecord,
  name: string,
  action: 'move' | 'rollback',
): Promise<{ host: string; configFile: string | undefined; addedKeys: string[]; detail: string }> {
  const member = record.members.find((entry) => entry.name === name)!;
  const id = `${record.cluster}/${name}`;
  if (!ctx.hostSteps)
    throw new PgfleetError('V3_HOSTS_NOT_READY', `${id}: its YAML is not on this host and no host step can be asked`, {
      exitCode: 3,
    });
  ctx.progress(
    `${id}: on another host (REST ${restHostOf(member.apiUrl) ?? '?'}): waiting up to ${Math.round(ctx.hostSteps.timeoutMs / 1000)} s for its host to ${action === 'move' ? 'move it' : 'put it back on etcd:'} (run there: ${HOST_STEP_COMMAND})`,
  );
  const outcome = await requestHostStep(ctx.admin, ctx.hostSteps, record, member, action, ctx.memberTimeoutMs);
  if (outcome.kind === 'answered') {
    if (!outcome.answer.ok)
      throw new PgfleetError(
        'V3_HOST_STEP_FAILED',
        `${id}: its host ${outcome.answer.host} did not ${action === 'move' ? 'move' : 'put back'} it: ${outcome.answer.detail}`,
        { exitCode: 3 },
      );
    return {
      host: outcome.answer.host,
      configFile: outcome.answer.configFile,
      addedKeys: outcome.answer.addedKeys,
      detail: outcome.answer.detail,
    };
  }
  const missing = [
    {
      cluster: record.cluster,
      member: name,
      action,
      restHost: restHostOf(member.apiUrl),
      command: HOST_STEP_COMMAND,
    },
  ];
  throw new PgfleetError(
    'V3_HOSTS_NOT_READY',
    outcome.kind === 'withdrawn'
      ? `${record.cluster}: ${hostsNotReadyMessage(missing, ctx.hostSteps.timeoutMs)}: the request is withdrawn, the member was not touched`
      : `${id}: its host ${outcome.host ?? '?'} took the request but did not answer`,
    {
      exitCode: 3,
      hint: `run \`${HOST_STEP_COMMAND}\` on each member's host while \`pgfleet etcd v3 migrate\` runs (or give it more time: --host-timeout)`,
      details: { missing, untouched: outcome.kind === 'withdrawn' },
    },
  );
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
