import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError, describeError } from '../../core/errors.js';
import {
  type HostStepAnswer,
  type HostStepAction,
  type HostStepClaim,
  type HostStepRequest,
  hostStepAnswerKey,
  hostStepClaimKey,
  hostStepWatch,
  hostStepsOfRun,
  readHostSteps,
  requestLive,
  requestsForHost,
} from '../../core/migration/etcd-v3-host-steps.js';
import { readRunLock } from '../../adapters/etcd/run-lock.js';
import { thisHostName } from '../../adapters/process/host-name.js';
import { withFleetClients } from '../../fleet/fleet-connection.js';
import {
  type MemberMoveContext,
  putMemberBack,
  restartMember,
  rewriteMemberToV3,
  v3CredentialsFor,
} from './member-move.js';
import { memberSections } from './member-section-switch.js';
import { type HostMember, type V3MoveFleet, reachingHostMembers, rereadHostMember } from './v3-move-fleet.js';
import { readEtcdV3RunState } from './v3-run-state.js';

export interface HostStepResult {
  cluster: string;
  member: string;
  action: HostStepAction;
  ok: boolean;
  configFile?: string | undefined;
  detail: string;
}

/** What `etcd v3 migrate --host-only` did on this host. */
export interface V3HostStepReport {
  host: string;
  /** served: a coordinator came and went; no-run: none asked within the wait. */
  outcome: 'served' | 'no-run';
  runs: string[];
  steps: HostStepResult[];
}

export interface HostStepOptions {
  progress: (message: string) => void;
  /** How long to wait for a coordinator to start asking (default 300 s). */
  waitMs?: number | undefined;
  memberTimeoutMs?: number | undefined;
  pollMs?: number | undefined;
}

/**
 * `etcd v3 migrate --host-only`: this host's part of a move whose
 * coordinator runs elsewhere. Waits for an etcd v3 coordinator (migrate, or
 * a rollback finishing an interrupted run), then carries out each request
 * naming one of this host's members, in the order they come (the
 * coordinator asks for the leader first): claims it (so a coordinator that
 * gave up on it at its deadline and this host never both act), moves the
 * member (or puts it back) the way the coordinator moves its own, and
 * answers. Ends once the coordinator it saw is gone.
 */
export async function serveV3HostSteps(fleet: V3MoveFleet, options: HostStepOptions): Promise<V3HostStepReport> {
  const host = thisHostName();
  const waitMs = options.waitMs ?? 300_000;
  const pollMs = options.pollMs ?? 500;
  return withFleetClients(reachingHostMembers(fleet), async ({ admin, rest }) => {
    const ctx: MemberMoveContext = {
      fleet,
      admin,
      rest,
      progress: options.progress,
      memberTimeoutMs: options.memberTimeoutMs ?? 60_000,
    };
    const members = fleet.hostMembers.map((member) => member.instance);
    options.progress(
      `${host}: ${members.length} member(s) here (${members.map((member) => `${member.namespace}${member.scope}/${member.node}`).join(', ') || 'none'}); waiting up to ${Math.round(waitMs / 1000)} s for \`pgfleet etcd v3 migrate\` to ask for them`,
    );
    const started = Date.now();
    const runs = new Set<string>();
    const steps: HostStepResult[] = [];
    let sawCoordinator = false;
    for (;;) {
      const [run, lock] = await Promise.all([readEtcdV3RunState(admin).catch(() => undefined), readRunLock(admin)]);
      const lockHolder = lock?.holder;
      if (lockHolder?.kind.startsWith('etcd-v3-')) sawCoordinator = true;
      const watch = hostStepWatch({
        run,
        lockKind: lockHolder?.kind,
        sawCoordinator,
        waitedMs: Date.now() - started,
        waitMs,
      });
      if (watch.kind === 'over' || watch.kind === 'no-run') {
        const outcome = watch.kind === 'over' ? 'served' : 'no-run';
        options.progress(
          outcome === 'served'
            ? `${host}: the coordinator's run is over: ${steps.length} step(s) carried out here`
            : `${host}: no etcd v3 migrate run asked within ${Math.round(waitMs / 1000)} s`,
        );
        return { host, outcome, runs: [...runs], steps };
      }
      if (watch.kind === 'serve' && run && lockHolder) {
        runs.add(watch.run);
        const pending = requestsForHost(readHostSteps(await admin.getPrefix(hostStepsOfRun(watch.run))), members);
        for (const { request } of pending) {
          const live = requestLive(request, lockHolder, run);
          if (!live.live) continue;
          const claim: HostStepClaim = { by: 'host', host, at: new Date().toISOString() };
          const claimKey = hostStepClaimKey(request);
          const taken = await admin.txn({
            compare: [{ key: claimKey, target: 'createRevision', value: 0 }],
            success: [{ put: { key: claimKey, value: JSON.stringify(claim) } }],
          });
          // Withdrawn by its coordinator at its deadline, or taken by another host: not ours to act on.
          if (!taken.succeeded) continue;
          const result = await carryOut(ctx, request);
          steps.push(result);
          const answer: HostStepAnswer = {
            run: request.run,
            cluster: request.cluster,
            member: request.member,
            action: request.action,
            host,
            ok: result.ok,
            configFile: result.configFile,
            addedKeys: result.ok ? (result.addedKeys ?? []) : [],
            detail: result.detail,
            at: new Date().toISOString(),
          };
          await admin.put(hostStepAnswerKey(request), JSON.stringify(answer));
        }
      }
      await sleep(pollMs);
    }
  });
}

/** One request carried out on this host's member: moved to `etcd3:`, or put back on `etcd:`. */
async function carryOut(
  ctx: MemberMoveContext,
  request: HostStepRequest,
): Promise<HostStepResult & { addedKeys?: string[] }> {
  const id = `${request.cluster}/${request.member}`;
  const base = { cluster: request.cluster, member: request.member, action: request.action };
  const found = ctx.fleet.hostMembers.find(
    (candidate) =>
      candidate.instance.namespace === request.namespace &&
      candidate.instance.scope === request.scope &&
      candidate.instance.node === request.member,
  );
  if (!found) return { ...base, ok: false, detail: `${id}: its YAML is not on this host` };
  const member: HostMember = await rereadHostMember(found);
  const configFile = member.instance.configFile;
  try {
    if (member.problem) throw new PgfleetError('V3_MEMBER_NOT_MOVABLE', `${id}: ${member.problem}`, { exitCode: 3 });
    if (request.action === 'move') {
      ctx.progress(`${id}: asked to move it to etcd3: (run ${request.run})`);
      const credentials = await v3CredentialsFor(ctx, request.namespace, request.scope);
      const switched = await rewriteMemberToV3(ctx, member, id, credentials);
      await restartMember(ctx, member, id, 'v3');
      await registeredOnV3(ctx, request, id);
      return {
        ...base,
        ok: true,
        configFile,
        addedKeys: switched.addedKeys,
        detail: `${configFile}: etcd3:, Patroni restarted while paused, registered and writing on v3`,
      };
    }
    ctx.progress(`${id}: asked to put it back on etcd: (run ${request.run})`);
    // It may run on v3 if its file says etcd3: now, or a v3 member key of it is left (restarted, then put back unfinished).
    const onV3 =
      (await memberSections(member)).has('etcd3') ||
      (await ctx.admin.get(`${request.cluster}/members/${request.member}`)) !== undefined;
    const back = await putMemberBack(ctx, member, id, { addedKeys: request.addedKeys, restart: onV3 });
    return {
      ...base,
      ok: true,
      configFile,
      detail: `${configFile}: ${back.switched ? 'etcd3: → etcd: again' : 'already on etcd:'}${onV3 ? ', Patroni restarted on v2 while paused' : ''}`,
    };
  } catch (error) {
    ctx.progress(`${id}: ${describeError(error)}`);
    return { ...base, ok: false, configFile, detail: describeError(error) };
  }
}

/** Its member key in v3: the restarted Patroni found its cluster there (the write probe already passed). */
async function registeredOnV3(ctx: MemberMoveContext, request: HostStepRequest, id: string): Promise<void> {
  const key = `${request.cluster}/members/${request.member}`;
  const deadline = Date.now() + ctx.memberTimeoutMs;
  while ((await ctx.admin.get(key)) === undefined) {
    if (Date.now() > deadline)
      throw new PgfleetError('V3_MEMBER_NOT_BACK', `${id}: back, but not registered in v3 (${key})`, { exitCode: 3 });
    await sleep(300);
  }
}
