import { ExitCode, PgfleetError } from '../../core/errors.js';
import { evaluateEnforceGates, gateRefusalHint } from '../../core/migration/enforce-gates.js';
import {
  type EnforceState,
  type InterruptedRunRecovery,
  type MemberProbeResult,
  describeRecovery,
  interruptedRun,
  recoveryOf,
  rollbackSteps,
  transition,
  withEndpointsDown,
} from '../../core/migration/enforce-state.js';
import {
  type EnforceFailureKind,
  type EnforceFix,
  classifyMemberFailure,
  describeMemberFailure,
  fixFor,
  nextStepsHint,
} from '../../core/migration/enforce-failure.js';
import { type FleetMember, memberId } from '../../core/migration/fleet-member.js';
import { type EnforceStep, type PhaseTiming, formatDuration } from '../../core/migration/phase-timings.js';
import { pauseWindowsOf } from '../../core/migration/pause-window.js';
import { AUTH_MIGRATION_KEY } from '../../core/migration/readiness-record.js';
import { openRunEnvelope, skipGatesNotice } from '../../core/migration/run-envelope.js';
import { type DcsLogCause, describeDcsLogCause, diagnoseDcsLog } from '../../core/migration/dcs-log-diagnosis.js';
import { EtcdAuthApi } from '../../adapters/etcd/auth-api.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { discoverPatroniMembers } from '../../adapters/etcd/patroni-members.js';
import type { RunLock } from '../../adapters/etcd/run-lock.js';
import type { LocalInstance } from '../../node/local-instances.js';
import { tailFile } from '../../node/patroni-process.js';
import { describeLaggingResume, pauseClusters, resumeClusters } from '../../fleet/cluster-pause.js';
import { type FleetConnection, etcdAuthEnabled, withFleetClients } from '../../fleet/fleet-connection.js';
import { type FleetRestClients, clusterKey } from '../../fleet/fleet-rest.js';
import { restartFrozenViews } from '../../fleet/frozen-view.js';
import { GuardedRestClients } from '../../fleet/guarded-rest-clients.js';
import { logRefusalSince } from '../../fleet/member-log-refusal.js';
import { probeMemberWrites } from '../../fleet/member-write-probe.js';
import { RunStateStore, asGuardedRun } from '../../fleet/run-state-store.js';
import type { EnforceOptions, EnforceReport } from './enforce-report.js';
import { writeEnforceReportFiles } from './enforce-report-file.js';
import { probeEtcdEndpoints } from './fleet-facts.js';
import { collectGateInput } from './gate-input.js';
import { probeTenantCredentials, type TenantProbeResult } from './tenant-probe.js';
import { censusAtGates, censusView } from './census-check.js';

/**
 * prepare → apply → **enforce**: gates, pause every cluster, auth enable,
 * probe every member's DCS write and every tenant, then resume — or, at the
 * first failed probe, auth disable, probe again, resume, and report.
 *
 * Under the run lock: every state save is fenced by it, and every call to a
 * member's REST API and every auth switch first checks that the lock is still
 * held, so a coordinator that lost it (stopped past its lease TTL) stops at
 * its next step instead of acting beside the run that took over.
 */
export async function enforceEtcdAuth(
  connection: FleetConnection,
  options: EnforceOptions = {},
): Promise<EnforceReport> {
  const progress = options.onProgress ?? (() => undefined);
  return withFleetClients(connection, ({ admin }) =>
    asGuardedRun(admin, 'etcd-auth-enforce', options.lock, (lock, identity) =>
      withGuardedRest(connection, lock, async (rest) => {
        const clock = new StepClock(options.timingsBefore);
        const store = new RunStateStore<EnforceState>(admin, AUTH_MIGRATION_KEY, lock);
        // Holding the lock, a recorded run that did not finish is truly interrupted: its coordinator's lease expired.
        const previous = interruptedRun(await store.read().catch(() => undefined));
        let recovered: string | undefined;
        if (previous) {
          clock.begin('recovery');
          const recovery = recoveryOf(previous, await etcdAuthEnabled(connection));
          progress(describeRecovery(previous, recovery));
          const finished = await finishInterruptedRun(
            connection,
            admin,
            rest,
            store,
            previous,
            recovery,
            lock,
            progress,
          );
          if (recovery.kind === 'carry-forward' && finished.state) {
            return keepReport(connection, {
              outcome: 'enforced',
              state: finished.state,
              gateFailures: [],
              tenantProbes: [],
              recoveredInterruptedRun: previous.id,
              carriedForward: true,
              timings: clock.end(),
            });
          }
          recovered = previous.id;
        }

        clock.begin('gates');
        lock.assertHeld();
        progress('gates: readiness of every member, reachability, token type, etcd version, admin credentials');
        const collected = await collectGateInput(connection, admin, rest);
        if (collected.authEnabled) {
          throw new PgfleetError('AUTH_ALREADY_ENABLED', 'etcd authentication is already on', {
            hint: '`pgfleet etcd auth status` shows the fleet; `pgfleet etcd auth rollback` switches it off',
          });
        }
        // Every client of the etcd, not only the configured namespaces' members (issue 23): see census-check.ts.
        const census = await censusAtGates(connection, admin, collected.facts, progress);
        const gateFailures = [...evaluateEnforceGates(collected.gate), ...census.report.failures];
        if (gateFailures.length > 0 && !options.skipGates) {
          throw new PgfleetError(
            'ENFORCE_GATES_REFUSED',
            `enforce refused at the gates:\n${gateFailures.map((f) => `  - ${f.message} (${f.hint})`).join('\n')}`,
            { hint: gateRefusalHint(gateFailures), details: { gateFailures } },
          );
        }
        if (gateFailures.length > 0) progress(skipGatesNotice(gateFailures.length));
        const members = collected.gate.members.filter((member) => !collected.gate.unreachable.has(memberId(member)));
        const localNames = collected.gate.localInstanceNames ?? new Map<string, string>();

        let state: EnforceState = {
          ...openRunEnvelope('gates', identity),
          probes: [],
          failures: gateFailures.map((f) => f.message),
          endpointsDown: collected.endpointsDown,
        };
        const save = async (next: EnforceState): Promise<EnforceState> => {
          state = await store.save({ ...next, timings: clock.timings() });
          await options.afterPhase?.(state.phase);
          // The save was fenced; what ran after it (a test stopping the process) may have outlived the lock.
          lock.assertHeld();
          return state;
        };
        const afterStep = async (step: 'paused' | 'probed' | 'resumed'): Promise<void> => {
          await options.afterStep?.(step);
          lock.assertHeld();
        };
        await save(state);

        clock.begin('pause');
        lock.assertHeld();
        progress(`pause ${new Set(members.map(clusterKey)).size} cluster(s) so no member demotes while auth switches`);
        state = transition(state, 'pausing');
        await save(state);
        let paused: Awaited<ReturnType<typeof pauseClusters>>;
        try {
          paused = await pauseClusters(members, rest, { onNudge: progress, signal: lock.signal });
        } catch (error) {
          if (lock.lost) throw error;
          // pauseClusters resumed what it had paused: nothing changed, the run ends here.
          await save({
            ...transition(transition(state, 'rolling-back'), 'rolled-back'),
            failures: [...state.failures, `pause failed: ${error instanceof Error ? error.message : String(error)}`],
          });
          throw error;
        }
        await save({ ...state, pausedByUs: paused.pausedByUs });
        await afterStep('paused');

        clock.begin('enable');
        lock.assertHeld();
        progress('auth enable');
        // What each local member logs from here on says at once why a DCS write of its own is refused.
        const refusalFromLog = await logRefusalSince(connection.localInstances);
        // Recorded before the call, so that a coordinator killed right after enabling leaves a state that says auth may be on.
        await save({ ...transition(state, 'enabling'), enabledAt: new Date().toISOString() });
        // The one step that must not run twice: ask etcd once more that this run still holds the lock.
        await lock.confirm();
        // The revision from which writes are made with credentials (read before, so that auth's first seconds stay short).
        await census.enabling();
        await new EtcdAuthApi(admin).enable();
        const enabledAt = Date.now();

        clock.begin('probes');
        lock.assertHeld();
        progress(
          `probe: every member writes to the DCS with its own credentials; every tenant reads and writes only its prefix`,
        );
        await save(transition(state, 'probing'));
        // Member and tenant probes touch different things: they run side by side to keep auth's first seconds short,
        // but a failed member switches auth off at once, without waiting for the tenants.
        const tenantRun = probeTenantCredentials(connection, [...new Set(members.map(clusterKey))]).then(
          (results) => ({ results, settledAt: Date.now() }),
          (error: unknown) => ({
            results: [
              {
                cluster: '*',
                user: '*',
                ok: false,
                detail: `tenant probes failed: ${error instanceof Error ? error.message : String(error)}`,
              },
            ] as TenantProbeResult[],
            settledAt: Date.now(),
          }),
        );
        const probes = await probeMemberWrites(members, rest, { stopAtFirstFailure: true, refusalFromLog });
        // Probes of a run that lost its lock meanwhile say nothing about the fleet: stop before reading them.
        lock.assertHeld();
        const memberFailed = probes.some((probe) => !probe.ok);
        const tenantsDone = memberFailed ? undefined : await tenantRun;
        const failedTenants = (tenantsDone?.results ?? []).filter((probe) => !probe.ok);
        progress(
          `probes done: ${probes.length} member(s)${tenantsDone ? ` and ${tenantsDone.results.length} tenant(s)` : ''} in ${formatDuration(clock.elapsed())} (wall clock)`,
        );

        if (memberFailed || failedTenants.length > 0) {
          clock.begin('rollback');
          // Switch auth off before anything else, so the exposure window stays as short as it can be.
          lock.assertHeld();
          const disableSentAt = Date.now();
          await new EtcdAuthApi(admin).disable();
          const disabledAt = Date.now();
          // Tenant probes still running when auth went off ran (partly) without auth: what they saw means nothing.
          const tenants = tenantsDone ?? (await tenantRun);
          const tenantProbes = tenants.settledAt <= disableSentAt ? tenants.results : [];
          const failedMembers = await explainMemberFailures(
            probes.filter((probe) => !probe.ok && !probe.detail.startsWith('not probed')),
            connection.localInstances,
            collected.gate.localCredentialDrift ?? new Map(),
            tenantProbes,
            connection.tenants.userFor.bind(connection.tenants),
          );
          const tenantFailures = tenantProbes.filter((probe) => !probe.ok);
          const failures = [
            ...failedMembers.map((p) => (p.detail.includes(p.member) ? p.detail : `${p.member}: ${p.detail}`)),
            ...tenantFailures.map((p) => `tenant ${p.user}: ${p.detail}`),
          ];
          const fixes: EnforceFix[] = [
            ...failedMembers.map((p) => memberFix(p, members, localNames, connection)),
            ...tenantFailures.map((p) => fixFor(p.cause ?? 'unknown', { subject: p.user, user: p.user, tenant: true })),
          ];
          progress(
            `probe failed for ${failedMembers.length} member(s) and ${tenantFailures.length} tenant(s): auth switched off again after ${disabledAt - enabledAt} ms`,
          );
          const allProbes = probes.map((probe) => failedMembers.find((f) => f.member === probe.member) ?? probe);
          await save({
            ...transition(state, 'rolling-back'),
            probes: allProbes,
            failures,
            disabledAt: new Date(disabledAt).toISOString(),
            exposureWindowMs: disabledAt - enabledAt,
          });
          const after = await probeMemberWrites(members, rest);
          // Still paused: the moment to find (and restart) a Patroni whose view of the DCS froze while auth went off.
          const frozen = await restartFrozenViews(
            members,
            connection.localInstances,
            connection.patroniDaemon,
            rest,
            progress,
          );
          clock.begin('resume');
          const { lagging, resumedAt } = await resumeClusters(state.pausedByUs, members, rest, {
            onNudge: progress,
            signal: lock.signal,
          });
          const afterRollback = [
            ...after.filter((p) => !p.ok).map((p) => `${p.member}: ${p.detail}`),
            ...frozen.map((restart) => `${restart.member}: ${restart.detail}`),
          ];
          for (const restart of frozen.filter((r) => !r.restarted)) {
            const member = members.find((m) => memberId(m) === restart.member);
            fixes.push(
              fixFor(restart.unreachable ? 'unreachable' : 'frozen-view', {
                subject: restart.member,
                localInstance: localNames.get(restart.member),
                host: member?.apiUrl ? hostOf(member.apiUrl) : undefined,
              }),
            );
          }
          clock.end();
          await save({
            ...transition(withEndpointsDown(state, await endpointsDownNow(connection)), 'rolled-back'),
            ...(lagging.length > 0 ? { warnings: [describeLaggingResume(lagging)] } : {}),
            failures: [...state.failures, ...afterRollback.map((line) => `after rollback: ${line}`)],
          });
          const report = await keepReport(connection, {
            outcome: 'rolled-back',
            state,
            gateFailures,
            tenantProbes,
            timings: clock.timings(),
            pauseWindows: pauseWindowsOf(paused.pausedAt, resumedAt),
            ...(recovered ? { recoveredInterruptedRun: recovered } : {}),
          });
          // A run that gave up only because etcd answered too slowly says so first: no member failed.
          const etcdTooSlow =
            failedMembers.length > 0 &&
            tenantFailures.length === 0 &&
            failedMembers.every((probe) => probe.cause === 'etcd-slow');
          throw new PgfleetError(
            'ENFORCE_ROLLED_BACK',
            `enforce rolled back${etcdTooSlow ? ' because etcd was too slow to answer (no member was refused)' : ''}: ${state.failures.join('; ')}; auth was on for ${state.exposureWindowMs} ms`,
            {
              exitCode: ExitCode.rolledBack,
              hint: `auth is off again and the clusters are resumed; ${nextStepsHint(fixes)}${report.reportFiles ? `; report: ${report.reportFiles.text}` : ''}`,
              details: { report, causes: failedMembers.map((p) => ({ member: p.member, cause: p.cause })) },
            },
          );
        }

        clock.begin('resume');
        lock.assertHeld();
        progress('resume the clusters');
        await save({ ...transition(state, 'resuming'), probes });
        await afterStep('probed');
        const { lagging, resumedAt } = await resumeClusters(state.pausedByUs, members, rest, {
          onNudge: progress,
          signal: lock.signal,
        });
        await afterStep('resumed');
        if (lagging.length > 0) progress(`warning: ${describeLaggingResume(lagging)}`);
        clock.end();
        await save({
          ...transition(withEndpointsDown(state, await endpointsDownNow(connection)), 'enforced'),
          ...(lagging.length > 0 ? { warnings: [describeLaggingResume(lagging)] } : {}),
        });
        progress('census again, with auth on: writers and leases lost since enable');
        const afterEnable = await census.afterEnforce();
        return keepReport(connection, {
          outcome: 'enforced',
          state,
          gateFailures,
          tenantProbes: tenantsDone?.results ?? [],
          timings: clock.timings(),
          pauseWindows: pauseWindowsOf(paused.pausedAt, resumedAt),
          census: { ...censusView(census), afterEnable },
          ...(recovered ? { recoveredInterruptedRun: recovered } : {}),
        });
      }),
    ),
  );
}

/**
 * Wall-clock time of each step: a step runs from its `begin` to the next
 * `begin` (or `end`), state saves and waits included.
 */
class StepClock {
  readonly #done: PhaseTiming[];
  #current: { step: EnforceStep; startedAt: number } | undefined;

  /** `before`: steps timed by the caller before this run (migrate's plan, prepare, apply). */
  constructor(before: readonly PhaseTiming[] = []) {
    this.#done = [...before];
  }

  begin(step: EnforceStep): void {
    this.end();
    this.#current = { step, startedAt: Date.now() };
  }

  /** Time spent so far in the current step. */
  elapsed(): number {
    return this.#current ? Date.now() - this.#current.startedAt : 0;
  }

  end(): PhaseTiming[] {
    if (this.#current) this.#done.push({ step: this.#current.step, ms: Date.now() - this.#current.startedAt });
    this.#current = undefined;
    return this.timings();
  }

  /** The steps finished so far, and the current one up to now. */
  timings(): PhaseTiming[] {
    return [...this.#done, ...(this.#current ? [{ step: this.#current.step, ms: this.elapsed() }] : [])];
  }
}

/** The members' REST clients of the run, checking the lock before each call (see GuardedRestClients). */
async function withGuardedRest<T>(
  connection: FleetConnection,
  lock: RunLock,
  work: (rest: FleetRestClients) => Promise<T>,
): Promise<T> {
  const rest = new GuardedRestClients(connection.localInstances, connection.restCredentials, () => lock.assertHeld());
  try {
    return await work(rest);
  } finally {
    await rest.close();
  }
}

/** Endpoints down at the end of the run: one that died after the gates is reported too. */
async function endpointsDownNow(connection: FleetConnection): Promise<string[]> {
  return (await probeEtcdEndpoints(connection)).flatMap((endpoint) =>
    endpoint.down !== undefined ? [endpoint.endpoint] : [],
  );
}

async function keepReport(connection: FleetConnection, report: EnforceReport): Promise<EnforceReport> {
  if (!connection.reportDir) return report;
  return { ...report, reportFiles: await writeEnforceReportFiles(connection.reportDir, report) };
}

/**
 * Why each failed member failed: for members on this host, the Patroni log
 * (wrong or missing password, role without the prefix) and the YAML (does
 * it hold the tenant file's password? then etcd's password was changed);
 * elsewhere, the tenant probe of its cluster (the file's password refused).
 */
async function explainMemberFailures(
  failed: MemberProbeResult[],
  instances: LocalInstance[],
  drift: Map<string, string>,
  tenantProbes: TenantProbeResult[],
  userFor: (namespace: string, scope: string) => string | undefined,
): Promise<MemberProbeResult[]> {
  return Promise.all(
    failed.map(async (probe) => {
      const instance = instances.find(
        (candidate) => `${candidate.namespace}${candidate.scope}/${candidate.node}` === probe.member,
      );
      const logCause: DcsLogCause | undefined = instance?.logFile
        ? diagnoseDcsLog((await tailFile(instance.logFile, 200)).split('\n'))
        : undefined;
      const cluster = probe.member.slice(0, probe.member.lastIndexOf('/'));
      const cause: EnforceFailureKind = classifyMemberFailure({
        logCause,
        yamlDrift: drift.get(probe.member),
        local: instance !== undefined,
        tenantPasswordRefused: tenantProbes.some(
          (tenant) => tenant.cluster === cluster && tenant.cause === 'etcd-password-differs',
        ),
        detail: probe.detail,
      });
      const user = instance ? userFor(instance.namespace, instance.scope) : undefined;
      const precise = describeMemberFailure(cause, probe.member, user);
      const generic = logCause ? describeDcsLogCause(logCause, probe.member) : undefined;
      // The probe's line starts with what the log said; a more precise cause replaces it, never adds a second one.
      const rest =
        generic && probe.detail.startsWith(`${generic}; `) ? probe.detail.slice(generic.length + 2) : probe.detail;
      // A slow etcd is the whole story: what the log said about tokens while it was slow is not a cause.
      const detail =
        cause === 'etcd-slow'
          ? probe.detail
          : precise
            ? `${precise}; ${rest}`
            : generic && !rest.includes(generic)
              ? `${generic}; ${rest}`
              : rest;
      return { ...probe, detail, cause };
    }),
  );
}

function memberFix(
  probe: MemberProbeResult,
  members: FleetMember[],
  localNames: Map<string, string>,
  connection: FleetConnection,
): EnforceFix {
  const member = members.find((candidate) => memberId(candidate) === probe.member);
  return fixFor(probe.cause ?? 'unknown', {
    subject: probe.member,
    localInstance: localNames.get(probe.member),
    host: member?.apiUrl ? hostOf(member.apiUrl) : undefined,
    user: member ? connection.tenants.userFor(member.namespace, member.scope) : undefined,
  });
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}

/** `etcd auth rollback`: auth disable (as admin) if on, resume the clusters a run paused; users and roles stay. */
export async function rollbackEtcdAuth(
  connection: FleetConnection,
  onProgress: (message: string) => void = () => undefined,
  held?: RunLock,
): Promise<{ steps: string[]; state: EnforceState | undefined }> {
  return withFleetClients(connection, ({ admin }) =>
    asGuardedRun(
      admin,
      'etcd-auth-rollback',
      held,
      (lock) =>
        withGuardedRest(connection, lock, async (rest) => {
          const store = new RunStateStore<EnforceState>(admin, AUTH_MIGRATION_KEY, lock);
          const state = await store.read().catch(() => undefined);
          return performRollback(connection, admin, rest, store, state, lock, onProgress);
        }),
      { phase: 'rolling-back' },
    ),
  );
}

/** Finishes a run found interrupted (its lock expired): carried forward, or rolled back. */
async function finishInterruptedRun(
  connection: FleetConnection,
  admin: EtcdClient,
  rest: FleetRestClients,
  store: RunStateStore<EnforceState>,
  previous: EnforceState,
  recovery: InterruptedRunRecovery,
  lock: RunLock,
  progress: (message: string) => void,
): Promise<{ steps: string[]; state: EnforceState | undefined }> {
  if (recovery.kind === 'roll-back') return performRollback(connection, admin, rest, store, previous, lock, progress);
  const members = await discoverPatroniMembers(admin, connection.namespaces);
  lock.assertHeld();
  progress(`resume ${recovery.resume.join(', ') || 'nothing'} (carried forward)`);
  const { lagging } = await resumeClusters(recovery.resume, members, rest, { onNudge: progress, signal: lock.signal });
  const state: EnforceState = {
    ...transition(withEndpointsDown(previous, await endpointsDownNow(connection)), 'enforced'),
    warnings: [
      ...(previous.warnings ?? []),
      `interrupted in phase resuming after every probe passed; carried forward by run ${lock.holder.runId}`,
      ...(lagging.length > 0 ? [describeLaggingResume(lagging)] : []),
    ],
  };
  await store.save(state, { lockPhase: `carrying forward ${previous.id}` });
  return { steps: [`resumed ${recovery.resume.join(', ')}`, `run ${previous.id} recorded enforced`], state };
}

async function performRollback(
  connection: FleetConnection,
  admin: EtcdClient,
  rest: FleetRestClients,
  store: RunStateStore<EnforceState>,
  state: EnforceState | undefined,
  lock: RunLock,
  progress: (message: string) => void,
): Promise<{ steps: string[]; state: EnforceState | undefined }> {
  const authEnabled = await etcdAuthEnabled(connection);
  const steps = rollbackSteps(state, authEnabled);
  const done: string[] = [];
  for (const step of steps) {
    lock.assertHeld();
    if (step.kind === 'auth-disable') {
      progress('auth disable');
      await new EtcdAuthApi(admin).disable();
      done.push('auth disabled');
    } else {
      const members: FleetMember[] = await discoverPatroniMembers(admin, connection.namespaces);
      if (done.includes('auth disabled')) {
        // As after an automatic rollback: a Patroni whose view froze while auth went off is restarted while still paused.
        const paused = members.filter((member) => step.clusters.includes(clusterKey(member)));
        const frozen = await restartFrozenViews(
          paused,
          connection.localInstances,
          connection.patroniDaemon,
          rest,
          progress,
        );
        done.push(...frozen.map((restart) => `${restart.member}: ${restart.detail}`));
      }
      progress(`resume ${step.clusters.join(', ')}`);
      const { lagging } = await resumeClusters(step.clusters, members, rest, {
        onNudge: progress,
        signal: lock.signal,
      });
      done.push(`resumed ${step.clusters.join(', ')}`);
      if (lagging.length > 0) done.push(`warning: ${describeLaggingResume(lagging)}`);
    }
  }
  let next = state;
  if (state && state.phase !== 'enforced' && state.phase !== 'rolled-back') {
    next = {
      ...state,
      phase: 'rolled-back',
      updatedAt: new Date().toISOString(),
      failures: [...state.failures, 'rolled back by `etcd auth rollback` or a later run'],
    };
    // The lock's phase is this run's: it is rolling back another run, not finishing one of its own.
    await store.save(next, { lockPhase: `rolled back ${state.id}` });
  }
  return { steps: done, state: next };
}
