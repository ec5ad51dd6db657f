import { ExitCode, PgfleetError } from '../../core/errors.js';
import { evaluateEnforceGates } from '../../core/migration/enforce-gates.js';
import {
  type EnforceState,
  type MemberProbeResult,
  interruptedRun,
  rollbackSteps,
  transition,
  withEndpointsDown,
} from '../../core/migration/enforce-state.js';
import { type FleetMember } from '../../core/migration/fleet-member.js';
import { memberId } from '../../core/migration/fleet-member.js';
import { AUTH_MIGRATION_KEY } from '../../core/migration/readiness-record.js';
import { openRunEnvelope, skipGatesNotice } from '../../core/migration/run-envelope.js';
import { describeDcsLogCause, diagnoseDcsLog } from '../../core/migration/dcs-log-diagnosis.js';
import { EtcdAuthApi } from '../../adapters/etcd/auth-api.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { discoverPatroniMembers } from '../../adapters/etcd/patroni-members.js';
import type { LocalInstance } from '../../node/local-instances.js';
import { tailFile } from '../../node/patroni-process.js';
import { describeLaggingResume, pauseClusters, resumeClusters } from '../../fleet/cluster-pause.js';
import { type FleetConnection, etcdAuthEnabled, withFleetClients } from '../../fleet/fleet-connection.js';
import { type FleetRestClients, clusterKey } from '../../fleet/fleet-rest.js';
import { restartFrozenViews } from '../../fleet/frozen-view.js';
import { logRefusalSince } from '../../fleet/member-log-refusal.js';
import { probeMemberWrites } from '../../fleet/member-write-probe.js';
import { RunStateStore, asGuardedRun } from '../../fleet/run-state-store.js';
import type { RunLock } from '../../adapters/etcd/run-lock.js';
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
 */
export async function enforceEtcdAuth(
  connection: FleetConnection,
  options: EnforceOptions = {},
): Promise<EnforceReport> {
  const progress = options.onProgress ?? (() => undefined);
  return withFleetClients(connection, ({ admin, rest }) =>
    asGuardedRun(admin, 'etcd-auth-enforce', options.lock, async (lock, identity) => {
      const store = new RunStateStore<EnforceState>(admin, AUTH_MIGRATION_KEY, lock);
      // Holding the lock, a recorded run that did not finish is truly interrupted: its coordinator's lease expired.
      const recovered = await recoverInterruptedRun(connection, admin, rest, store, progress);

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
          {
            hint: 'fix each point above, then run enforce again; nothing was changed',
            details: { gateFailures },
          },
        );
      }
      if (gateFailures.length > 0) progress(skipGatesNotice(gateFailures.length));
      const members = collected.gate.members.filter((member) => !collected.gate.unreachable.has(memberId(member)));

      let state: EnforceState = {
        ...openRunEnvelope('gates', identity),
        probes: [],
        failures: gateFailures.map((f) => f.message),
        endpointsDown: collected.endpointsDown,
      };
      const save = async (next: EnforceState): Promise<EnforceState> => {
        state = await store.save(next);
        await options.afterPhase?.(state.phase);
        return state;
      };
      await save(state);

      progress(`pause ${new Set(members.map(clusterKey)).size} cluster(s) so no member demotes while auth switches`);
      state = transition(state, 'pausing');
      await save(state);
      let paused: Awaited<ReturnType<typeof pauseClusters>>;
      try {
        paused = await pauseClusters(members, rest, { onNudge: progress });
      } catch (error) {
        // pauseClusters resumed what it had paused: nothing changed, the run ends here.
        await save({
          ...transition(transition(state, 'rolling-back'), 'rolled-back'),
          failures: [...state.failures, `pause failed: ${error instanceof Error ? error.message : String(error)}`],
        });
        throw error;
      }
      await save({ ...state, pausedByUs: paused.pausedByUs });

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

      progress(
        `probe: every member writes to the DCS with its own credentials; every tenant reads and writes only its prefix`,
      );
      await save(transition(state, 'probing'));
      const probeStarted = Date.now();
      // Member and tenant probes touch different things: they run side by side to keep auth's first seconds short,
      // but a failed member switches auth off at once, without waiting for the tenants.
      const tenantRun = probeTenantCredentials(connection, [...new Set(members.map(clusterKey))]).catch(
        (error: unknown): TenantProbeResult[] => [
          {
            cluster: '*',
            user: '*',
            ok: false,
            detail: `tenant probes failed: ${error instanceof Error ? error.message : String(error)}`,
          },
        ],
      );
      const probes = await probeMemberWrites(members, rest, { stopAtFirstFailure: true, refusalFromLog });
      const memberFailed = probes.some((probe) => !probe.ok);
      const tenantProbes = memberFailed ? [] : await tenantRun;
      progress(`probes done in ${Date.now() - probeStarted} ms`);
      const failedTenants = tenantProbes.filter((probe) => !probe.ok);

      if (memberFailed || failedTenants.length > 0) {
        // Switch auth off before anything else, so the exposure window stays as short as it can be.
        await new EtcdAuthApi(admin).disable();
        const disabledAt = Date.now();
        if (memberFailed) await tenantRun;
        const failedMembers = await explainFromLogs(
          probes.filter((probe) => !probe.ok && !probe.detail.startsWith('not probed')),
          connection.localInstances,
        );
        const failures = [
          ...failedMembers.map((p) => (p.detail.includes(p.member) ? p.detail : `${p.member}: ${p.detail}`)),
          ...failedTenants.map((p) => `tenant ${p.user}: ${p.detail}`),
        ];
        progress(
          `probe failed for ${failedMembers.length} member(s) and ${failedTenants.length} tenant(s): auth switched off again after ${disabledAt - enabledAt} ms`,
        );
        await save({
          ...transition(state, 'rolling-back'),
          probes,
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
        const { lagging } = await resumeClusters(state.pausedByUs, members, rest, { onNudge: progress });
        const afterRollback = [
          ...after.filter((p) => !p.ok).map((p) => `${p.member}: ${p.detail}`),
          ...frozen.map((restart) => `${restart.member}: ${restart.detail}`),
        ];
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
          ...(recovered ? { recoveredInterruptedRun: recovered } : {}),
        });
        throw new PgfleetError(
          'ENFORCE_ROLLED_BACK',
          `enforce rolled back: ${state.failures.join('; ')}; auth was on for ${state.exposureWindowMs} ms`,
          {
            exitCode: ExitCode.rolledBack,
            hint: `${failedMembers.length > 0 ? 'run `pgfleet etcd auth apply` for the members named (on their hosts), then enforce again' : 'check the tenants with `pgfleet etcd auth plan`'}${report.reportFiles ? `; report: ${report.reportFiles.text}` : ''}`,
            details: { report },
          },
        );
      }

      progress('resume the clusters');
      await save({ ...transition(state, 'resuming'), probes });
      const { lagging } = await resumeClusters(state.pausedByUs, members, rest, { onNudge: progress });
      if (lagging.length > 0) progress(`warning: ${describeLaggingResume(lagging)}`);
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
        tenantProbes,
        census: { ...censusView(census), afterEnable },
        ...(recovered ? { recoveredInterruptedRun: recovered } : {}),
      });
    }),
  );
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

/** For members on this host, the Patroni log says whether the password was wrong or missing. */
async function explainFromLogs(failed: MemberProbeResult[], instances: LocalInstance[]): Promise<MemberProbeResult[]> {
  return Promise.all(
    failed.map(async (probe) => {
      const instance = instances.find(
        (candidate) => `${candidate.namespace}${candidate.scope}/${candidate.node}` === probe.member,
      );
      if (!instance?.logFile) return probe;
      const cause = describeDcsLogCause(
        diagnoseDcsLog((await tailFile(instance.logFile, 200)).split('\n')),
        probe.member,
      );
      return cause && !probe.detail.includes(cause) ? { ...probe, detail: `${cause}; ${probe.detail}` } : probe;
    }),
  );
}

/** `etcd auth rollback`: auth disable (as admin) if on, resume the clusters a run paused; users and roles stay. */
export async function rollbackEtcdAuth(
  connection: FleetConnection,
  onProgress: (message: string) => void = () => undefined,
  held?: RunLock,
): Promise<{ steps: string[]; state: EnforceState | undefined }> {
  return withFleetClients(connection, ({ admin, rest }) =>
    asGuardedRun(admin, 'etcd-auth-rollback', held, async (lock) => {
      const store = new RunStateStore<EnforceState>(admin, AUTH_MIGRATION_KEY, lock);
      return performRollback(connection, admin, rest, store, await store.read().catch(() => undefined), onProgress);
    }),
  );
}

async function recoverInterruptedRun(
  connection: FleetConnection,
  admin: EtcdClient,
  rest: FleetRestClients,
  store: RunStateStore<EnforceState>,
  progress: (message: string) => void,
): Promise<string | undefined> {
  const previous = interruptedRun(await store.read().catch(() => undefined));
  if (!previous) return undefined;
  progress(`an enforce run (${previous.id}) was interrupted in phase ${previous.phase}: rolling it back first`);
  await performRollback(connection, admin, rest, store, previous, progress);
  return previous.id;
}

async function performRollback(
  connection: FleetConnection,
  admin: EtcdClient,
  rest: FleetRestClients,
  store: RunStateStore<EnforceState>,
  state: EnforceState | undefined,
  progress: (message: string) => void,
): Promise<{ steps: string[]; state: EnforceState | undefined }> {
  const authEnabled = await etcdAuthEnabled(connection);
  const steps = rollbackSteps(state, authEnabled);
  const done: string[] = [];
  for (const step of steps) {
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
      const { lagging } = await resumeClusters(step.clusters, members, rest, { onNudge: progress });
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
      failures: [...state.failures, 'rolled back by `etcd auth rollback` or a later enforce'],
    };
    await store.save(next);
  }
  return { steps: done, state: next };
}
