import { randomBytes } from 'node:crypto';
import { ExitCode, PgfleetError, describeError } from '../../core/errors.js';
import type { FleetMember } from '../../core/migration/fleet-member.js';
import { openRunEnvelope } from '../../core/migration/run-envelope.js';
import { type RotationPlan, planRotation } from '../../core/migration/rotation-plan.js';
import {
  ROTATION_KEY,
  type RotationClusterState,
  type RotationClusterStep,
  type RotationReadinessRecord,
  type RotationState,
  awaitingRotation,
  describeRotationSteps,
  interruptedRotation,
  reached,
  restoreSteps,
  rotationReadinessKey,
} from '../../core/migration/rotation-run.js';
import type { Secret } from '../../core/secret.js';
import { EtcdAuthApi } from '../../adapters/etcd/auth-api.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { discoverPatroniMembers } from '../../adapters/etcd/patroni-members.js';
import type { RunLock } from '../../adapters/etcd/run-lock.js';
import { readSecretFile } from '../../adapters/fs/secret-file.js';
import type { LocalInstance } from '../../node/local-instances.js';
import { describeLaggingResume, pauseClusters, resumeClusters } from '../../fleet/cluster-pause.js';
import { etcdAuthEnabled, withFleetClients } from '../../fleet/fleet-connection.js';
import { type FleetRestClients, clusterKey } from '../../fleet/fleet-rest.js';
import { probeMemberWrites } from '../../fleet/member-write-probe.js';
import { RunStateStore, asGuardedRun } from '../../fleet/run-state-store.js';
import { probeTenantIsolation } from '../../fleet/tenant-isolation-probe.js';
import {
  type WrittenCredentials,
  reloadMemberAndProve,
  reloadProblem,
  writeMemberCredentials,
} from './member-credentials.js';
import { type RotationContext, collectRotationFacts, passwordCheck } from './rotation-facts.js';
import type { RotationFleet, RotationSelection } from './rotation-fleet.js';
import { renderRotationPlan } from './rotation-plan-text.js';
import {
  discardPreviousPassword,
  passwordFingerprint,
  previousPasswordFile,
  readPreviousPassword,
  restorePreviousPassword,
  stageNewPassword,
} from './tenant-password-file.js';
import { thisHostName } from '../../adapters/process/host-name.js';

export interface RotateOptions {
  /** Print the plan, change nothing (no lock taken). */
  check?: boolean | undefined;
  onProgress?: ((message: string) => void) | undefined;
  /** Test hook: called once a cluster's step is recorded, before the step is carried out. */
  afterStep?: ((cluster: string, step: RotationClusterStep) => Promise<void>) | undefined;
  /** A run lock already held by the caller. */
  lock?: RunLock | undefined;
}

/** What each cluster's rotation proved. */
export interface ClusterRotationResult {
  cluster: string;
  user: string;
  outcome: 'rotated' | 'awaiting-hosts';
  /** With auth on: etcd refuses the old password and accepts the new one. */
  oldPasswordRefused: boolean | 'not-checked';
  newPasswordAccepted: boolean | 'not-checked';
  memberProbes: Array<{ member: string; ok: boolean; detail: string }>;
  tenantProbe: { ok: boolean; detail: string } | 'not-checked';
}

export interface RotationReport {
  outcome: 'planned' | 'rotated' | 'awaiting-hosts';
  plan: RotationPlan;
  clusters: ClusterRotationResult[];
  state?: RotationState | undefined;
  /** A run found interrupted and rolled back first. */
  recoveredInterruptedRun?: string | undefined;
}

/**
 * `etcd tenants rotate`: for each cluster, one after the other: pause; a new
 * password into the tenant's 0600 file (the old one kept in `.previous`);
 * into the YAML of every member of this host; reload, proven from each
 * member's log; (members on other hosts: `rotate --host-only` there, then
 * this command again); `changepw` in etcd; the old password refused and the
 * new one accepted, every member's DCS write probed, the tenant probed with
 * its new credentials; resume. At the first failure the cluster gets its old
 * password back in the YAMLs, in etcd and in the file, is probed again and
 * resumed, and the run stops (ROTATION_ROLLED_BACK, exit 3).
 */
export async function rotateTenantPasswords(
  fleet: RotationFleet,
  selection: RotationSelection,
  options: RotateOptions = {},
): Promise<RotationReport> {
  const progress = options.onProgress ?? (() => undefined);
  return withFleetClients(fleet, async ({ admin, rest }) => {
    if (options.check) {
      const recorded = await readRotationState(admin).catch(() => undefined);
      const context = await collectRotationFacts(fleet, admin, rest, selection, awaitingRotation(recorded));
      return { outcome: 'planned', plan: planRotation(context.facts), clusters: [] };
    }
    return asGuardedRun(admin, 'tenant-rotation', options.lock, async (lock, identity) => {
      const store = new RunStateStore<RotationState>(admin, ROTATION_KEY, lock);
      const recorded = await store.read().catch(() => undefined);
      const waiting = awaitingRotation(recorded);
      const continuing = waiting && continuesWith(waiting, selection) ? waiting : undefined;
      let recoveredInterruptedRun: string | undefined;
      const unfinished = interruptedRotation(recorded) ?? (waiting && !continuing ? waiting : undefined);
      if (unfinished) {
        progress(
          `a rotation (${unfinished.id}, coordinator ${unfinished.coordinator.host} pid ${unfinished.coordinator.pid}) stopped in phase ${unfinished.phase} (${describeRotationSteps(unfinished)}): rolling it back first`,
        );
        await rollBackRecorded(fleet, admin, rest, store, unfinished, progress);
        recoveredInterruptedRun = unfinished.id;
      }

      progress('gates: tenant users and password files, every member answers, the compatibility matrix per member');
      const context = await collectRotationFacts(fleet, admin, rest, selection, continuing);
      const plan = planRotation(context.facts);
      progress(renderRotationPlan(plan));
      if (plan.blocked) {
        const blockers = [...plan.blockers, ...plan.clusters.flatMap((cluster) => cluster.blockers)];
        throw new PgfleetError(
          'ROTATION_PLAN_BLOCKED',
          `the rotation is blocked:\n${blockers.map((blocker) => `  - ${blocker}`).join('\n')}`,
          {
            hint: 'fix each point above, then rotate again; nothing was changed (`--check` shows the plan)',
            exitCode: ExitCode.findings,
            details: { plan },
          },
        );
      }

      let state: RotationState = continuing
        ? { ...continuing, coordinator: identity.coordinator, phase: 'rotating', updatedAt: new Date().toISOString() }
        : {
            ...openRunEnvelope<RotationState['phase']>('rotating', identity),
            clusters: plan.clusters.map((cluster) => ({
              cluster: cluster.cluster,
              user: cluster.user!,
              step: 'pending',
              passwordFile: cluster.passwordFile!,
              previousFile: previousPasswordFile(cluster.passwordFile!),
              localMembers: cluster.members.filter((m) => m.where === 'here').map((m) => m.member),
              otherMembers: cluster.members.filter((m) => m.where === 'elsewhere').map((m) => m.member),
            })),
          };
      const run: ClusterRun = {
        fleet,
        admin,
        rest,
        context,
        lock,
        progress,
        afterStep: options.afterStep,
        state: () => state,
        save: async (next) => {
          state = await store.save({ ...next, updatedAt: new Date().toISOString() });
          return state;
        },
      };
      await run.save(state);

      const results: ClusterRotationResult[] = [];
      for (const entry of state.clusters) {
        if (entry.step === 'rotated') continue;
        const result = await rotateCluster(run, entry.cluster);
        results.push(result);
        if (result.outcome === 'awaiting-hosts') {
          await run.save({ ...state, phase: 'awaiting-hosts' });
          return { outcome: 'awaiting-hosts', plan, clusters: results, state, recoveredInterruptedRun };
        }
      }
      // The run ends: the old passwords are no longer needed anywhere.
      for (const entry of state.clusters) await discardPreviousPassword(entry.passwordFile);
      await run.save({ ...state, phase: 'rotated' });
      return { outcome: 'rotated', plan, clusters: results, state, recoveredInterruptedRun };
    });
  });
}

/** A waiting run goes on only when asked for the same clusters (or all of them). */
function continuesWith(state: RotationState, selection: RotationSelection): boolean {
  return (
    selection.all ||
    (selection.scopes.length === state.clusters.length &&
      state.clusters.every((cluster) =>
        selection.scopes.some((scope) => cluster.cluster === scope || cluster.cluster.endsWith(`/${scope}`)),
      ))
  );
}

interface ClusterRun {
  fleet: RotationFleet;
  admin: EtcdClient;
  rest: FleetRestClients;
  context: RotationContext;
  lock: RunLock;
  progress: (message: string) => void;
  afterStep: RotateOptions['afterStep'];
  state: () => RotationState;
  save: (next: RotationState) => Promise<RotationState>;
}

function clusterEntry(run: Pick<ClusterRun, 'state'>, cluster: string): RotationClusterState {
  return run.state().clusters.find((entry) => entry.cluster === cluster)!;
}

async function setStep(
  run: Pick<ClusterRun, 'state' | 'save' | 'afterStep'>,
  cluster: string,
  step: RotationClusterStep,
  extra: Partial<RotationClusterState> = {},
): Promise<void> {
  const state = run.state();
  await run.save({
    ...state,
    clusters: state.clusters.map((entry) => (entry.cluster === cluster ? { ...entry, ...extra, step } : entry)),
  });
  await run.afterStep?.(cluster, step);
}

async function rotateCluster(run: ClusterRun, cluster: string): Promise<ClusterRotationResult> {
  const entry = clusterEntry(run, cluster);
  const { user, passwordFile } = entry;
  const members = run.context.members.get(cluster) ?? [];
  const instances = localInstancesOf(run.fleet.localInstances, cluster);
  const authEnabled = run.context.facts.authEnabled;
  const progress = run.progress;

  progress(`${cluster}: pause, so that no member demotes while its credentials change`);
  await setStep(run, cluster, 'pausing');
  const paused = await pauseClusters(members, run.rest, { onNudge: progress });
  const state = run.state();
  await run.save({ ...state, pausedByUs: [...new Set([...state.pausedByUs, ...paused.pausedByUs])] });

  let previous: Secret | undefined;
  try {
    let fresh: Secret;
    if (reached(entry, 'awaiting-hosts')) {
      // A run that waited on other hosts: the file holds the new password, `.previous` the old one (etcd's).
      fresh = await readSecretFile(passwordFile, `password of etcd user ${user}`);
      previous = await readPreviousPassword(passwordFile, user);
    } else {
      progress(
        `${cluster}: a new password for ${user} into ${passwordFile} (the old one kept in ${entry.previousFile})`,
      );
      await setStep(run, cluster, 'staging');
      ({ previous, fresh } = await stageNewPassword(passwordFile, user));

      progress(`${cluster}: the new password into the YAML of ${instances.length} member(s) of this host`);
      await setStep(run, cluster, 'writing');
      const written: Array<{ instance: LocalInstance; written: WrittenCredentials }> = [];
      for (const instance of instances)
        written.push({
          instance,
          written: await writeMemberCredentials(instance, { username: user, password: fresh }),
        });

      progress(`${cluster}: reload, and the proof from each member's log that Patroni took the new password`);
      await setStep(run, cluster, 'reloading');
      const problems = (
        await Promise.all(
          written
            .filter((item) => item.written.changed)
            .map(async (item) =>
              reloadProblem(
                item.written.member,
                item.instance.configFile,
                await reloadMemberAndProve(item.instance, item.written),
              ),
            ),
        )
      ).filter((problem): problem is string => problem !== undefined);
      if (problems.length > 0)
        throw new PgfleetError('ROTATION_RELOAD_NOT_PROVEN', problems.join('; '), { exitCode: ExitCode.failed });
      await Promise.all(
        written.map((item) =>
          recordReadiness(run.admin, item.instance, item.written, user, passwordFingerprint(user, fresh)),
        ),
      );
    }

    const planned = run.context.facts.clusters.find((facts) => facts.cluster === cluster);
    const waiting = (planned?.members ?? []).filter((member) => member.where === 'elsewhere' && !member.hostStepDone);
    if (waiting.length > 0) {
      progress(
        `${cluster}: ${waiting.map((member) => member.member).join(', ')} on other hosts: copy ${passwordFile} there, run \`pgfleet etcd tenants rotate ${cluster.split('/').at(-1)} --host-only\` on each, then rotate again here (the cluster stays paused)`,
      );
      await setStep(run, cluster, 'awaiting-hosts');
      return {
        cluster,
        user,
        outcome: 'awaiting-hosts',
        oldPasswordRefused: 'not-checked',
        newPasswordAccepted: 'not-checked',
        memberProbes: [],
        tenantProbe: 'not-checked',
      };
    }

    progress(`${cluster}: change the password of ${user} in etcd (every member holds the new one)`);
    await setStep(run, cluster, 'changing');
    // The one step that must not run twice: ask etcd once more that this run still holds the lock.
    await run.lock.confirm();
    await new EtcdAuthApi(run.admin).changePassword(user, fresh);

    progress(
      `${cluster}: verify: old password refused, new one accepted, every member writes to the DCS, the tenant in its prefix only`,
    );
    await setStep(run, cluster, 'verifying');
    const verified = await verifyCluster(run, cluster, user, members, { previous, fresh, authEnabled });
    const failed = [
      ...(verified.oldPasswordRefused === false ? [`etcd still accepts the old password of ${user}`] : []),
      ...(verified.newPasswordAccepted === false ? [`etcd refuses the new password of ${user}`] : []),
      ...verified.memberProbes.filter((probe) => !probe.ok).map((probe) => `${probe.member}: ${probe.detail}`),
      ...(verified.tenantProbe !== 'not-checked' && !verified.tenantProbe.ok
        ? [`tenant ${user}: ${verified.tenantProbe.detail}`]
        : []),
    ];
    if (failed.length > 0)
      throw new PgfleetError('ROTATION_VERIFY_FAILED', failed.join('; '), { exitCode: ExitCode.failed });

    progress(`${cluster}: resume`);
    await setStep(run, cluster, 'resuming');
    await resumePausedByUs(run, cluster, members);
    await setStep(run, cluster, 'rotated');
    return { cluster, user, outcome: 'rotated', ...verified };
  } catch (error) {
    const cause = describeError(error);
    progress(`${cluster}: ${cause}; rolling back: the old password back in the YAMLs, in etcd and in the file`);
    const afterRollback = await rollBackCluster(run, cluster, members, previous, cause);
    const state = run.state();
    await run.save({
      ...state,
      phase: 'rolled-back',
      failures: [...state.failures, `${cluster}: ${cause}`, ...afterRollback],
    });
    throw new PgfleetError(
      'ROTATION_ROLLED_BACK',
      `rotation of ${cluster} rolled back: ${cause}${afterRollback.length > 0 ? `; after the rollback: ${afterRollback.join('; ')}` : ''}`,
      {
        exitCode: afterRollback.length > 0 ? ExitCode.failed : ExitCode.rolledBack,
        hint:
          afterRollback.length > 0
            ? 'check the members named (pgfleet etcd auth status) and the cluster (it may still be paused)'
            : `the old password of ${user} is back in etcd, in ${passwordFile} and in every YAML, the cluster is resumed; fix the cause and rotate again`,
        details: { state: run.state() },
      },
    );
  }
}

/** The checks after `changepw`, all of them (a report says which failed). */
async function verifyCluster(
  run: Pick<ClusterRun, 'fleet' | 'rest' | 'context'>,
  cluster: string,
  user: string,
  members: FleetMember[],
  passwords: { previous: Secret | undefined; fresh: Secret; authEnabled: boolean },
): Promise<Omit<ClusterRotationResult, 'cluster' | 'user' | 'outcome'>> {
  const { previous, fresh, authEnabled } = passwords;
  const memberProbes = await probeMemberWrites(members, run.rest);
  if (!authEnabled)
    return {
      oldPasswordRefused: 'not-checked',
      newPasswordAccepted: 'not-checked',
      memberProbes,
      tenantProbe: 'not-checked',
    };
  const neighbour = run.context.allClusters.find((other) => other !== cluster);
  const probe = await probeTenantIsolation({
    endpoints: run.fleet.endpoints,
    tls: run.fleet.tls,
    tenant: { tenant: cluster, prefix: `${cluster}/` },
    credentials: { username: user, password: fresh },
    others: neighbour ? [{ tenant: neighbour, prefix: `${neighbour}/` }] : [],
    outsideKey: `/pgfleet-outside-probe-${randomBytes(4).toString('hex')}`,
  });
  return {
    oldPasswordRefused: previous ? (await passwordCheck(run.fleet, user, previous)) === 'refused' : 'not-checked',
    newPasswordAccepted: (await passwordCheck(run.fleet, user, fresh)) === 'accepted',
    memberProbes,
    tenantProbe: {
      ok: probe.ok,
      detail: probe.ok
        ? `own prefix read/write; denied ${neighbour ? `on ${neighbour}/ and ` : ''}outside`
        : [
            probe.ownPrefix.ok ? '' : probe.ownPrefix.detail,
            ...probe.errors,
            ...probe.breaches.map((b) => `could ${b.op} ${b.key}`),
          ]
            .filter(Boolean)
            .join('; '),
    },
  };
}

async function resumePausedByUs(
  run: Pick<ClusterRun, 'state' | 'save' | 'rest' | 'progress'>,
  cluster: string,
  members: FleetMember[],
): Promise<string[]> {
  const state = run.state();
  if (!state.pausedByUs.includes(cluster)) return [];
  const { lagging } = await resumeClusters([cluster], members, run.rest, { onNudge: run.progress });
  const next = run.state();
  await run.save({ ...next, pausedByUs: next.pausedByUs.filter((key) => key !== cluster) });
  return lagging.length > 0 ? [describeLaggingResume(lagging)] : [];
}

/**
 * Puts a cluster back on its old password: the YAMLs of this host first
 * (reloaded, proven), then etcd (`changepw` to the old password, when etcd
 * may hold the new one: the members re-authenticate with what they just
 * reloaded), then the tenant's file. Probes every member's DCS write again
 * and resumes. Returns what is still wrong afterwards (empty: all is back).
 */
async function rollBackCluster(
  run: Pick<ClusterRun, 'fleet' | 'admin' | 'rest' | 'state' | 'save' | 'afterStep' | 'progress'>,
  cluster: string,
  members: FleetMember[],
  knownPrevious: Secret | undefined,
  cause: string,
): Promise<string[]> {
  const entry = clusterEntry(run, cluster);
  const { user, passwordFile } = entry;
  const undo = restoreSteps({ clusters: [entry], pausedByUs: run.state().pausedByUs })[0];
  const etcdMayBeNew = undo?.etcd ?? false;
  const stagedFile = undo?.file ?? false;
  await run.save({ ...run.state(), phase: 'rolling-back' });
  await setStep(run, cluster, 'restoring', { failure: cause });
  const problems: string[] = [];
  const previous = knownPrevious ?? (await readPreviousPassword(passwordFile, user).catch(() => undefined));
  if (stagedFile && !previous) {
    problems.push(
      `the old password of ${user} is not on this host (${previousPasswordFile(passwordFile)}): roll back from the coordinator's host (${run.state().coordinator.host})`,
    );
    return problems;
  }
  if (previous) {
    const instances = localInstancesOf(run.fleet.localInstances, cluster);
    const rewritten: Array<{ instance: LocalInstance; written: WrittenCredentials }> = [];
    for (const instance of instances) {
      try {
        rewritten.push({
          instance,
          written: await writeMemberCredentials(instance, { username: user, password: previous }),
        });
      } catch (error) {
        problems.push(describeError(error));
      }
    }
    for (const item of rewritten.filter((item) => item.written.changed)) {
      const problem = reloadProblem(
        item.written.member,
        item.instance.configFile,
        await reloadMemberAndProve(item.instance, item.written).catch(
          (error: unknown) =>
            ({ status: 'unproven', reason: describeError(error), hint: 'reload it by hand' }) as const,
        ),
      );
      if (problem) problems.push(problem);
    }
    await Promise.all(
      instances.map((instance) => run.admin.delete(rotationReadinessKey(memberOf(instance))).catch(() => undefined)),
    );
    if (etcdMayBeNew) {
      const authOn = await etcdAuthEnabled(run.fleet).catch(() => true);
      if (!authOn || (await passwordCheck(run.fleet, user, previous)) === 'refused') {
        run.progress(`${cluster}: the old password of ${user} back in etcd`);
        await new EtcdAuthApi(run.admin).changePassword(user, previous);
      }
    }
    if (stagedFile) await restorePreviousPassword(passwordFile, user);
  }
  const probes = await probeMemberWrites(members, run.rest);
  problems.push(...probes.filter((probe) => !probe.ok).map((probe) => `${probe.member}: ${probe.detail}`));
  if (entry.otherMembers.length > 0 && reached(entry, 'awaiting-hosts'))
    problems.push(
      `${entry.otherMembers.join(', ')} on other hosts may hold the new password: run \`pgfleet etcd tenants rotate --rollback --host-only\` on their hosts`,
    );
  // A member that cannot write stays in a paused cluster: resumed, it could demote or lose its leader key.
  if (probes.every((probe) => probe.ok)) problems.push(...(await resumePausedByUs(run, cluster, members)));
  else problems.push(`${cluster} stays paused until its members write again (then: patronictl resume)`);
  await setStep(run, cluster, 'rolled-back');
  return problems;
}

/** `rotate --rollback`, or the next run: a recorded run that did not finish is rolled back, cluster by cluster. */
export async function rollBackRecorded(
  fleet: RotationFleet,
  admin: EtcdClient,
  rest: FleetRestClients,
  store: RunStateStore<RotationState>,
  recorded: RotationState,
  progress: (message: string) => void,
): Promise<{ steps: string[]; state: RotationState }> {
  let state: RotationState = recorded;
  const run = {
    fleet,
    admin,
    rest,
    progress,
    afterStep: undefined,
    state: () => state,
    save: async (next: RotationState) => {
      state = await store.save({ ...next, updatedAt: new Date().toISOString() });
      return state;
    },
  };
  const discovered = await discoverPatroniMembers(admin, fleet.namespaces, (namespace, scope, name) =>
    fleet.localInstances.some(
      (instance) => instance.namespace === namespace && instance.scope === scope && instance.node === name,
    ),
  );
  const steps: string[] = [];
  const problems: string[] = [];
  for (const entry of recorded.clusters) {
    if (entry.step === 'pending' || entry.step === 'rotated' || entry.step === 'rolled-back') {
      if (entry.step === 'rotated') await discardPreviousPassword(entry.passwordFile);
      continue;
    }
    progress(`${entry.cluster}: rolling back from step ${entry.step}`);
    const members = discovered.filter((member) => clusterKey(member) === entry.cluster);
    const afterRollback = await rollBackCluster(
      run,
      entry.cluster,
      members,
      undefined,
      `interrupted in step ${entry.step}`,
    );
    problems.push(...afterRollback);
    steps.push(
      `${entry.cluster}: rolled back from step ${entry.step}${afterRollback.length > 0 ? ` (${afterRollback.join('; ')})` : ''}`,
    );
  }
  await run.save({
    ...state,
    phase: 'rolled-back',
    failures: [...state.failures, 'rolled back by `etcd tenants rotate --rollback` or a later rotation', ...problems],
  });
  if (problems.length > 0)
    throw new PgfleetError('ROTATION_ROLLBACK_INCOMPLETE', `the rollback left: ${problems.join('; ')}`, {
      exitCode: ExitCode.failed,
      hint: 'check the members named (pgfleet etcd auth status); the clusters with a member failing stay paused',
      details: { state },
    });
  return { steps, state };
}

/** `etcd tenants rotate --rollback`: rolls back a rotation that did not finish (or waits on other hosts). */
export async function rollbackTenantRotation(
  fleet: RotationFleet,
  options: { onProgress?: ((message: string) => void) | undefined } = {},
): Promise<{ steps: string[]; state: RotationState | undefined }> {
  const progress = options.onProgress ?? (() => undefined);
  return withFleetClients(fleet, ({ admin, rest }) =>
    asGuardedRun(admin, 'tenant-rotation-rollback', undefined, async (lock) => {
      const store = new RunStateStore<RotationState>(admin, ROTATION_KEY, lock);
      const recorded = await store.read().catch(() => undefined);
      const unfinished = interruptedRotation(recorded) ?? awaitingRotation(recorded);
      if (!unfinished) return { steps: [], state: recorded };
      return rollBackRecorded(fleet, admin, rest, store, unfinished, progress);
    }),
  );
}

export async function readRotationState(admin: EtcdClient): Promise<RotationState | undefined> {
  return new RunStateStore<RotationState>(admin, ROTATION_KEY).read();
}

export function localInstancesOf(instances: LocalInstance[], cluster: string): LocalInstance[] {
  return instances.filter((instance) => `${instance.namespace}${instance.scope}` === cluster);
}

function memberOf(instance: LocalInstance): { namespace: string; scope: string; name: string } {
  return { namespace: instance.namespace, scope: instance.scope, name: instance.node };
}

/** The member holds (and reloaded) the password whose fingerprint this records. */
export async function recordReadiness(
  admin: EtcdClient,
  instance: LocalInstance,
  written: WrittenCredentials,
  user: string,
  passwordSha256: string,
): Promise<void> {
  const record: RotationReadinessRecord = {
    namespace: instance.namespace,
    scope: instance.scope,
    member: instance.node,
    username: user,
    passwordSha256,
    configSha256: written.configSha256,
    host: thisHostName(),
    recordedAt: new Date().toISOString(),
  };
  await admin.put(rotationReadinessKey(memberOf(instance)), JSON.stringify(record));
}
