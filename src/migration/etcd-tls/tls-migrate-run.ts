import { readFile, rm } from 'node:fs/promises';
import { ExitCode, PgfleetError } from '../../core/errors.js';
import { type EtcdTlsGateFailure, evaluateEtcdTlsGates } from '../../core/migration/etcd-tls-gates.js';
import {
  ETCD_TLS_MIGRATION_KEY,
  type EtcdTlsMemberResult,
  type EtcdTlsRunState,
  interruptedTlsRun,
  summarizeTlsOutcomes,
  tlsMemberOrder,
  tlsRecoverySteps,
} from '../../core/migration/etcd-tls-run.js';
import { applyEtcdTlsTarget } from '../../core/migration/etcd-tls-target.js';
import { type FleetMember, memberId } from '../../core/migration/fleet-member.js';
import { type EtcdAuthMethodsWarning, checkEtcdAuthMethods } from '../../core/patroni-config/etcd-auth-methods.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { openRunEnvelope, skipGatesNotice } from '../../core/migration/run-envelope.js';
import { withFleetClients } from '../../fleet/fleet-connection.js';
import { type RunIdentity, RunStateStore, asGuardedRun } from '../../fleet/run-state-store.js';
import type { RunLock } from '../../adapters/etcd/run-lock.js';
import { discoverPatroniMembers } from '../../adapters/etcd/patroni-members.js';
import { writeFileAtomic } from '../../adapters/fs/atomic-file.js';
import { pauseClusters, resumeClusters } from '../../fleet/cluster-pause.js';
import { type FleetRestClients, clusterKey, groupByCluster } from '../../fleet/fleet-rest.js';
import { switchMemberToTls } from './member-tls-switch.js';
import { restartAndVerify } from '../../fleet/member-restart.js';
import { type EtcdTlsFacts, type MemberTlsFiles, collectEtcdTlsFacts } from './tls-gate-facts.js';
import { type EtcdTlsFleet, withCurrentInstances } from './tls-fleet.js';

export interface MigrateEtcdTlsOptions {
  /** Show the gates and the plan, change nothing. */
  dryRun?: boolean | undefined;
  /** DRILL ONLY: go on although gates failed, to watch a member fail and be restored. */
  skipGates?: boolean | undefined;
  /** How long a restarted member has to answer and write to the DCS (default 60 s). */
  memberTimeoutMs?: number | undefined;
  /** Certificate files for some members instead of the settings' (keyed by member id). */
  memberFiles?: MemberTlsFiles | undefined;
  onProgress?: ((message: string) => void) | undefined;
}

export type PlannedAction = 'move' | 'already-on-https' | 'other-host';

export interface EtcdTlsPlan {
  clusters: Array<{
    cluster: string;
    members: Array<{
      member: string;
      role: string | undefined;
      action: PlannedAction;
      connection?: string | undefined;
    }>;
  }>;
}

export interface EtcdTlsMigrationReport {
  outcome: 'migrated' | 'planned' | 'nothing-to-do';
  plan: EtcdTlsPlan;
  gateFailures: EtcdTlsGateFailure[];
  /** Basic auth and a client certificate in one member's new DCS section. */
  warnings: EtcdAuthMethodsWarning[];
  members: EtcdTlsMemberResult[];
  state?: EtcdTlsRunState | undefined;
  recoveredInterruptedRun?: string | undefined;
  /** What is left once every member is on https. */
  nextStep: string;
}

export const HTTPS_ONLY_STEP =
  "once every member of every host is on https (`pgfleet etcd tls status`), remove etcd's plain-http listener: restart each etcd member, one at a time and waiting for it to be healthy, with only https URLs in --listen-client-urls and --advertise-client-urls (in a lab: `pgfleet lab etcd-https-only`)";

/**
 * `etcd tls migrate`: moves the members this host manages from http to
 * https while etcd serves both. Gates first (nothing changes if one fails);
 * then, one cluster at a time: pause, each member (replicas first) gets its
 * new YAML and a restart of its Patroni daemon (PostgreSQL keeps running),
 * must answer and write to the DCS, resume. A member that does not come
 * back gets its previous YAML and a restart; the run stops there.
 */
export async function migrateEtcdTls(
  given: EtcdTlsFleet,
  options: MigrateEtcdTlsOptions = {},
): Promise<EtcdTlsMigrationReport> {
  const fleet = await withCurrentInstances(given);
  const progress = options.onProgress ?? (() => undefined);
  return withFleetClients(fleet, ({ admin: store, rest }) =>
    guardedUnlessDryRun(store, options.dryRun, async (lock, identity) => {
      // Holding the lock, a recorded run that did not finish is truly interrupted: its coordinator's lease expired.
      const recovered = options.dryRun ? undefined : await recoverInterruptedTlsRun(fleet, store, rest, progress);

      progress(
        'gates: every member answers, every cluster has its leader, Patroni under pgfleet, certificate files valid and readable by Patroni, etcd answers over https',
      );
      const facts = await collectEtcdTlsFacts(fleet, store, rest, options.memberFiles);
      const gateFailures = evaluateEtcdTlsGates(facts.gate);
      const plan = planOf(facts);
      const warnings = authMethodWarnings(facts);
      const base = {
        plan,
        gateFailures,
        warnings,
        nextStep: HTTPS_ONLY_STEP,
        ...(recovered ? { recoveredInterruptedRun: recovered } : {}),
      };
      const moving = plan.clusters.filter((cluster) => cluster.members.some((member) => member.action === 'move'));
      if (options.dryRun) return { ...base, outcome: 'planned', members: [] };
      if (gateFailures.length > 0 && !options.skipGates) {
        throw new PgfleetError(
          'ETCD_TLS_GATES_REFUSED',
          `etcd tls migrate refused at the gates:\n${gateFailures.map((failure) => `  - ${failure.message} (${failure.hint})`).join('\n')}`,
          {
            hint: 'fix each point above, then run it again; nothing was changed',
            details: { gateFailures, plan },
          },
        );
      }
      if (gateFailures.length > 0) progress(skipGatesNotice(gateFailures.length));
      if (moving.length === 0) return { ...base, outcome: 'nothing-to-do', members: resultsWithoutMoves(plan) };

      const runState = new RunStateStore<EtcdTlsRunState>(store, ETCD_TLS_MIGRATION_KEY, lock);
      let state: EtcdTlsRunState = {
        ...openRunEnvelope<EtcdTlsRunState['phase']>('gates', identity),
        members: [],
        failures: gateFailures.map((failure) => failure.message),
      };
      const save = async (next: Partial<EtcdTlsRunState>): Promise<void> => {
        state = await runState.save({ ...state, ...next, updatedAt: new Date().toISOString() });
      };
      await save({ phase: 'migrating' });
      try {
        const results: EtcdTlsMemberResult[] = [];
        let stop: EtcdTlsMemberResult | undefined;
        for (const cluster of plan.clusters) {
          if (stop || !moving.includes(cluster)) {
            results.push(
              ...cluster.members.map((member) => untouched(member.member, member.action, stop !== undefined)),
            );
            continue;
          }
          stop = await migrateCluster(
            cluster,
            facts,
            fleet,
            store,
            rest,
            options,
            progress,
            results,
            save,
            () => state,
          );
          await save({ members: results });
        }
        if (stop) {
          const failures = [...state.failures, `${stop.member}: ${stop.detail}`];
          await save({ phase: 'stopped', members: results, failures });
          const restoreFailed = stop.outcome === 'restore-failed';
          const report: EtcdTlsMigrationReport = { ...base, outcome: 'migrated', members: results, state };
          throw new PgfleetError(
            restoreFailed ? 'ETCD_TLS_RESTORE_FAILED' : 'ETCD_TLS_MEMBER_RESTORED',
            restoreFailed
              ? `etcd tls migrate stopped at ${stop.member}, and restoring it failed too: ${stop.detail}; its cluster stays paused`
              : `etcd tls migrate stopped at ${stop.member}: ${stop.detail}. ${summarizeTlsOutcomes(results)}`,
            {
              exitCode: restoreFailed ? ExitCode.failed : ExitCode.rolledBack,
              hint: restoreFailed
                ? `bring its Patroni back by hand (previous YAML in ${state.inFlight?.backupFile ?? 'the .pre-etcd-tls backup'}), check it with patronictl, then resume the cluster (patronictl resume)`
                : 'fix what the message names (the member is back on its previous configuration, the rest of the fleet as it was), then run `pgfleet etcd tls migrate` again: members already on https are skipped',
              details: { report },
            },
          );
        }
        await save({ phase: 'migrated', members: results });
        return { ...base, outcome: 'migrated', members: results, state };
      } catch (error) {
        if (
          error instanceof PgfleetError &&
          (error.code === 'ETCD_TLS_MEMBER_RESTORED' || error.code === 'ETCD_TLS_RESTORE_FAILED')
        )
          throw error;
        // Anything unexpected: put the member in flight back and resume what this run paused, then report.
        progress(
          `unexpected failure (${error instanceof Error ? error.message : String(error)}): restoring the member in flight and resuming`,
        );
        await finishRun(
          state,
          fleet,
          store,
          rest,
          progress,
          'failed part-way; the member in flight was restored and its cluster resumed',
        ).catch(() => undefined);
        throw error;
      }
    }),
  );
}

/** A dry run changes nothing and takes no lock; a real run is the fleet's one guarded run. */
function guardedUnlessDryRun<T>(
  store: EtcdClient,
  dryRun: boolean | undefined,
  work: (lock: RunLock | undefined, identity: RunIdentity) => Promise<T>,
): Promise<T> {
  return dryRun
    ? work(undefined, { id: 'dry-run', coordinator: { host: 'none', pid: 0 } })
    : asGuardedRun(store, 'etcd-tls-migrate', undefined, work);
}

/** Pause, move each member (replicas first), resume. Returns the result that stopped the run, if any. */
async function migrateCluster(
  cluster: EtcdTlsPlan['clusters'][number],
  facts: EtcdTlsFacts,
  fleet: EtcdTlsFleet,
  store: EtcdClient,
  rest: FleetRestClients,
  options: MigrateEtcdTlsOptions,
  progress: (message: string) => void,
  results: EtcdTlsMemberResult[],
  save: (next: Partial<EtcdTlsRunState>) => Promise<void>,
  current: () => EtcdTlsRunState,
): Promise<EtcdTlsMemberResult | undefined> {
  const clusterMembers = facts.members.filter((member) => clusterKey(member) === cluster.cluster);
  progress(`${cluster.cluster}: pause, so that no member acts on its own while Patroni daemons restart`);
  const paused = await pauseClusters(clusterMembers, rest, { onNudge: progress });
  await save({ pausedByUs: paused.pausedByUs });
  let stop: EtcdTlsMemberResult | undefined;
  for (const planned of cluster.members) {
    if (stop) {
      results.push(untouched(planned.member, planned.action, true));
      continue;
    }
    if (planned.action !== 'move') {
      results.push(untouched(planned.member, planned.action, false));
      continue;
    }
    const entry = facts.local.get(planned.member)!;
    const result = await switchMemberToTls(entry, {
      fleet,
      rest,
      recordStore: store,
      memberTimeoutMs: options.memberTimeoutMs ?? 60_000,
      progress,
      onStep: (step, backupFile) =>
        save({ inFlight: { member: planned.member, configFile: entry.instance.configFile, backupFile, step } }),
    });
    results.push(result);
    progress(`${planned.member}: ${result.outcome} (${result.detail})`);
    // A member whose restore failed keeps its step in flight: the backup stays named in the state.
    await save({ members: results, ...(result.outcome === 'restore-failed' ? {} : { inFlight: undefined }) });
    if (result.outcome !== 'migrated') stop = result;
  }
  if (stop?.outcome === 'restore-failed') {
    // Resuming with a member whose Patroni is not back could let the others elect a leader beside a running primary.
    progress(`${cluster.cluster}: left paused, ${stop.member} needs an operator`);
    return stop;
  }
  if (paused.pausedByUs.length > 0) {
    progress(`${cluster.cluster}: resume`);
    await resumeClusters(paused.pausedByUs, clusterMembers, rest, { onNudge: progress });
  }
  await save({ pausedByUs: current().pausedByUs.filter((key) => !paused.pausedByUs.includes(key)) });
  return stop;
}

function untouched(member: string, action: PlannedAction, stopped: boolean): EtcdTlsMemberResult {
  if (action === 'already-on-https')
    return { member, outcome: 'already-on-https', detail: 'its YAML already says what the settings say' };
  if (action === 'other-host')
    return { member, outcome: 'other-host', detail: 'managed on another host: run `pgfleet etcd tls migrate` there' };
  return { member, outcome: 'not-touched', detail: stopped ? 'the run stopped before this member' : 'not moved' };
}

function resultsWithoutMoves(plan: EtcdTlsPlan): EtcdTlsMemberResult[] {
  return plan.clusters.flatMap((cluster) =>
    cluster.members.map((member) => untouched(member.member, member.action, false)),
  );
}

/** Clusters in name order, each with its members in the order they are moved (replicas first). */
function planOf(facts: EtcdTlsFacts): EtcdTlsPlan {
  const clusters = [...groupByCluster(facts.members).entries()].sort(([a], [b]) => a.localeCompare(b));
  return {
    clusters: clusters.map(([cluster, members]) => ({
      cluster,
      members: tlsMemberOrder(withLiveRoles(members, facts)).map((member) => {
        const id = memberId(member);
        const local = facts.local.get(id);
        const action: PlannedAction = !local ? 'other-host' : local.onTarget ? 'already-on-https' : 'move';
        return { member: id, role: member.role, action };
      }),
    })),
  };
}

/** The DCS member key may lag: the role a member reports on its REST API decides who is leader. */
function withLiveRoles(members: FleetMember[], facts: EtcdTlsFacts): FleetMember[] {
  return members.map((member) => ({ ...member, role: facts.statuses.get(memberId(member))?.role ?? member.role }));
}

function authMethodWarnings(facts: EtcdTlsFacts): EtcdAuthMethodsWarning[] {
  const warnings: EtcdAuthMethodsWarning[] = [];
  for (const [id, entry] of facts.local) {
    const section = (entry.instance.config[entry.instance.dcsSection] ?? {}) as Record<string, unknown>;
    const warning = checkEtcdAuthMethods(applyEtcdTlsTarget(section, entry.target), `the new DCS section of ${id}`);
    if (warning) warnings.push(warning);
  }
  return warnings;
}

export async function readEtcdTlsRunState(store: EtcdClient): Promise<EtcdTlsRunState | undefined> {
  return new RunStateStore<EtcdTlsRunState>(store, ETCD_TLS_MIGRATION_KEY).read();
}

/** A run left unfinished (coordinator killed): restore its member in flight, resume its cluster, mark it stopped. */
async function recoverInterruptedTlsRun(
  fleet: EtcdTlsFleet,
  store: EtcdClient,
  rest: FleetRestClients,
  progress: (message: string) => void,
): Promise<string | undefined> {
  const previous = interruptedTlsRun(await readEtcdTlsRunState(store).catch(() => undefined));
  if (!previous) return undefined;
  progress(`an etcd tls migrate run (${previous.id}) was interrupted: finishing it first`);
  await finishRun(previous, fleet, store, rest, progress, 'interrupted; finished by a later run');
  return previous.id;
}

async function finishRun(
  state: EtcdTlsRunState,
  fleet: EtcdTlsFleet,
  store: EtcdClient,
  rest: FleetRestClients,
  progress: (message: string) => void,
  note: string,
): Promise<void> {
  const failures = [...state.failures];
  const steps = tlsRecoverySteps(state);
  const restoring = steps.find((step) => step.kind === 'restore-member');
  if (restoring) {
    // The member's cluster must be paused while its Patroni restarts; pause it again if someone resumed it.
    const members = await discoverPatroniMembers(store, fleet.namespaces);
    const cluster = members.filter((member) => memberId(member) === restoring.member).map(clusterKey)[0];
    const paused = cluster
      ? await pauseClusters(
          members.filter((member) => clusterKey(member) === cluster),
          rest,
        )
      : { pausedByUs: [] };
    const resume = steps.find((step) => step.kind === 'resume');
    const extra = paused.pausedByUs.filter((key) => !(resume?.kind === 'resume' && resume.clusters.includes(key)));
    if (extra.length > 0) steps.push({ kind: 'resume', clusters: extra });
  }
  for (const step of steps) {
    if (step.kind === 'drop-backup') {
      await rm(step.backupFile, { force: true });
    } else if (step.kind === 'restore-member') {
      const instance = fleet.localInstances.find((candidate) => candidate.configFile === step.configFile);
      const previous = await readFile(step.backupFile, 'utf8').catch(() => undefined);
      if (!instance || previous === undefined) {
        failures.push(
          `${step.member}: its previous YAML (${step.backupFile}) is not on this host; check that member by hand`,
        );
        continue;
      }
      progress(`${step.member}: restoring its previous YAML and restarting its Patroni`);
      await writeFileAtomic(step.configFile, previous, { mode: 0o600, owner: instance.owner });
      const verified = await restartAndVerify(instance, fleet.patroni, rest, 60_000);
      if (verified.ok) await rm(step.backupFile, { force: true });
      else failures.push(`${step.member}: after restoring its previous YAML: ${verified.reason}`);
    } else {
      const members: FleetMember[] = await discoverPatroniMembers(store, fleet.namespaces);
      progress(`resume ${step.clusters.join(', ')}`);
      await resumeClusters(step.clusters, members, rest, { onNudge: progress });
    }
  }
  const next: EtcdTlsRunState = {
    ...state,
    phase: 'stopped',
    inFlight: undefined,
    pausedByUs: [],
    updatedAt: new Date().toISOString(),
    failures: [...failures, note],
  };
  await new RunStateStore<EtcdTlsRunState>(store, ETCD_TLS_MIGRATION_KEY).save(next);
}
