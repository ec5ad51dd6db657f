import { PgfleetError } from '../core/errors.js';
import { findFreePortRange } from '../adapters/process/port-probe.js';
import { labPortCount } from '../core/lab/lab-topology.js';
import {
  type EnforceReport,
  applyFleetCredentials,
  enforceEtcdAuth,
  etcdAuthStatus,
  planEtcdAuthMigration,
  prepareFleetTenants,
} from '../migration/etcd-auth/index.js';
import {
  etcdAuthEnabled,
  fleetConnectionFromSettings,
  withAdminClient as withAdmin,
} from '../fleet/fleet-connection.js';
import { tenancyTargetFromSettings, verifyTenancy } from '../tenancy/index.js';
import { type WriterTally, startFleetWriters } from './fleet-writers.js';
import { labDown } from './lab-down.js';
import { ensureClusterRoles } from './lab-secrets.js';
import { labStateSettings } from './lab-settings.js';
import { labStatus } from './lab-status.js';
import { type LabState, defaultLabDir } from './lab-state.js';
import { labUp } from './lab-up.js';
import { isStoryInterruption, narratorUntil, untilInterrupted } from './story-interrupt.js';
import { type ReplicationCheck, checkWriteReplicates } from './replication-check.js';
import { type RoleWatchReport, leadersAndTimelines, startRoleWatch } from './role-watch.js';
import type { DemoNarrator } from './demo-narrator.js';

export interface LabDemoOptions {
  dir?: string | undefined;
  basePort?: number | undefined;
  keep?: boolean | undefined;
  narrator: DemoNarrator;
  /** Aborted on Ctrl-C (SIGINT/SIGTERM): the demo stops where it is, takes its lab down and throws LAB_STORY_INTERRUPTED (exit 130). */
  signal?: AbortSignal | undefined;
}

/** One tenant's live isolation proof, as the demo tells it. */
export interface DemoIsolationProbe {
  user: string;
  ok: boolean;
  detail: string;
}

export interface LabDemoResult {
  dir: string;
  labUpMs: number;
  /** Per cluster: a row written on its primary and read back from its replica, before anything is changed. */
  replication: ReplicationCheck[];
  /** The cluster left out of the first apply. */
  leftOut: string;
  /** Members the gates named as not ready. */
  gateRefused: string[];
  /** The drill: the member the probe caught, and how long auth was on. */
  drill: { caught: string[]; exposureWindowMs: number };
  enforced: { members: number; tenants: number; durationMs: number };
  isolation: DemoIsolationProbe[];
  writers: WriterTally[];
  roles: RoleWatchReport;
  leadersKept: boolean;
  kept: boolean;
  summary: string[];
}

const SHAPE = { clusters: 3, nodes: 2, etcdMembers: 3 };
/**
 * The lab demo. First issue 2's proof that the lab is a working fleet: a
 * row written on each primary is read back from its replica. Then the story
 * of issue 6: an open fleet of 3 clusters is secured
 * while applications write to it. One cluster is deliberately left out of
 * `apply`: enforce refuses at the gate, naming its members; the drill
 * (`--skip-gates`) shows the live probe catching it and the automatic
 * rollback; once it is applied, enforce succeeds, and the tenants prove they
 * are isolated. The lab goes down at the end unless kept.
 */
export async function labDemo(options: LabDemoOptions): Promise<LabDemoResult> {
  const say = narratorUntil(options.narrator, options.signal);
  const dir = options.dir ?? defaultLabDir();
  const basePort = options.basePort ?? (await findFreePortRange(labPortCount(SHAPE)));

  say.step(
    'Start a lab: 3 etcd members, open (no auth, no TLS), and 3 Patroni clusters of 2 nodes (alpha, beta, gamma), on 127.0.0.1',
  );
  say.command(`pgfleet lab up --clusters 3 --nodes 2 --etcd-members 3 --dir ${dir}`);
  const up = await labUp({
    ...SHAPE,
    basePort,
    dir,
    signal: options.signal,
    onProgress: (message, transient) => (transient ? say.progress(message) : say.say(message)),
  });
  say.endProgress();
  say.say(`lab ready in ${(up.elapsedMs / 1000).toFixed(1)} s, in ${dir}`);
  let kept = false;
  const tell = async (): Promise<LabDemoResult> => {
    const topology = up.state.topology;
    const connection = await fleetConnectionFromSettings(labStateSettings(up.state), {});
    const leftOut = topology.clusters.at(-1)!.scope;

    say.step("The fleet as it is: any client can read and write every cluster's keys in etcd");
    say.command('pgfleet lab status');
    say.status(await labStatus(dir));

    say.step('A write on each primary, read back from its replica');
    const replication = await Promise.all(
      topology.clusters.map(async (cluster) => {
        const leader =
          up.readiness.find((readiness) => readiness.scope === cluster.scope)?.leader ?? cluster.nodes[0]!.name;
        return checkWriteReplicates(topology, cluster, leader, await ensureClusterRoles(dir, cluster.scope));
      }),
    );
    for (const check of replication)
      say.say(
        `${check.scope}: row ${check.marker} written on ${check.primary}, read back on ${check.replica} after ${check.visibleAfterMs} ms`,
      );

    say.step("Applications write on every primary (every 50 ms) for the whole story; every node's role is sampled");
    const before = await leadersAndTimelines(topology);
    const writers = startFleetWriters(dir, topology, new Map([...before].map(([scope, v]) => [scope, v.leader])));
    const watch = startRoleWatch(topology, 500);
    let tallies: WriterTally[] = [];
    let roles: RoleWatchReport = { samples: 0, demotions: [], leaderChanges: [] };
    let story: Omit<
      LabDemoResult,
      'dir' | 'labUpMs' | 'replication' | 'writers' | 'roles' | 'leadersKept' | 'kept' | 'summary'
    >;
    try {
      say.say(
        `leaders: ${[...before].map(([scope, v]) => `${scope} → ${v.leader} (timeline ${v.timeline})`).join(', ')}`,
      );

      say.step('Plan: every member found in the DCS, joined with tenancy and the instances on this host');
      say.command('pgfleet etcd auth plan');
      const plan = await planEtcdAuthMigration(connection);
      say.say(
        `${plan.members.length} members in ${plan.clusters.length} clusters, all managed here; blocked: ${plan.blocked ? 'yes' : 'no'}`,
      );
      for (const cluster of plan.clusters)
        say.say(`${cluster.cluster}: tenant ${cluster.tenantUser} (${cluster.actions.length} prepare steps)`);

      say.step(
        'Prepare: root, and per cluster one etcd user and role with readwrite on its own prefix only (auth stays off)',
      );
      say.command('pgfleet etcd auth prepare');
      const prepared = await prepareFleetTenants(connection);
      say.say(
        `${prepared.length} changes: ${prepared.filter((action) => action.startsWith('grant readwrite')).join('; ')}`,
      );
      say.say('passwords are generated into 0600 files; none is printed');

      say.step(`Apply, but leave cluster ${leftOut} out, as if its host had been forgotten`);
      say.command('pgfleet etcd auth apply   # on every host but the one running ' + leftOut);
      const applied = await applyFleetCredentials(connection, {
        instances: connection.localInstances.filter((instance) => instance.scope !== leftOut),
      });
      for (const outcome of applied) say.say(`${outcome.scope}/${outcome.member}: ${outcome.detail}`);

      say.step('Enforce: the gates refuse, naming the members that are not ready; nothing is changed');
      say.command('pgfleet etcd auth enforce');
      const refusal = await expectFailure(
        () => enforceEtcdAuth(connection),
        'ENFORCE_GATES_REFUSED',
        'enforce should have been refused at the gates',
      );
      const gateRefused = (refusal.details?.gateFailures as Array<{ subject: string; message: string }>).map(
        (failure) => failure.subject,
      );
      for (const failure of refusal.details?.gateFailures as Array<{ message: string; hint: string }>)
        say.say(`refused: ${failure.message}`);
      say.say(`auth is still ${(await etcdAuthEnabled(connection)) ? 'ON (unexpected)' : 'off'}`);

      say.step('Drill: enforce --skip-gates lets the unprepared cluster through, to watch the live probe catch it');
      say.command('pgfleet etcd auth enforce --skip-gates');
      say.say('every cluster is paused first, so no member demotes while the DCS refuses it');
      const rolledBack = await expectFailure(
        () => enforceEtcdAuth(connection, { skipGates: true, onProgress: (m) => say.say(`… ${m}`) }),
        'ENFORCE_ROLLED_BACK',
        'the drill should have rolled back',
      );
      const drillReport = rolledBack.details?.report as EnforceReport;
      const caught = drillReport.state.probes
        .filter((probe) => !probe.ok && !probe.detail.startsWith('not probed'))
        .map((probe) => probe.member);
      for (const failure of drillReport.state.failures.filter(
        (f) => !f.startsWith('after rollback') && !f.includes('readiness record'),
      ))
        say.say(`caught: ${failure}`);
      say.say(
        `auth was switched off again automatically: it was on for ${drillReport.state.exposureWindowMs} ms; clusters resumed`,
      );
      say.say('(GET /cluster and dcs_last_seen would have shown that member healthy: only a DCS write tells)');

      say.step(`Apply the missing cluster ${leftOut}`);
      say.command(`pgfleet etcd auth apply   # on the host running ${leftOut}`);
      const appliedLate = await applyFleetCredentials(connection, {
        instances: connection.localInstances.filter((instance) => instance.scope === leftOut),
      });
      for (const outcome of appliedLate) say.say(`${outcome.scope}/${outcome.member}: ${outcome.detail}`);

      say.step(
        'Enforce: gates pass, pause, auth enable, every member writes to the DCS with its own credentials, resume',
      );
      say.command('pgfleet etcd auth enforce');
      const enforceStarted = Date.now();
      const report = await enforceEtcdAuth(connection, { onProgress: (m) => say.say(`… ${m}`) });
      const enforceMs = Date.now() - enforceStarted;
      say.say(
        `enforced in ${(enforceMs / 1000).toFixed(1)} s: ${report.state.probes.filter((p) => p.ok).length}/${report.state.probes.length} members wrote to the DCS with their own tenant`,
      );

      say.step(
        "Tenants verify: no role range reaches beyond its cluster, and each tenant reads and writes its own prefix and is denied every other tenant's and everything outside",
      );
      say.command('pgfleet etcd tenants verify');
      const verified = await verifyLabTenants(up.state);
      say.say(
        `static check over every role range: ${verified.findings === 0 ? 'no finding' : `${verified.findings} finding(s)`}`,
      );
      for (const probe of verified.probes)
        say.say(`${probe.user}: ${probe.ok ? probe.detail : `FAILED: ${probe.detail}`}`);
      const isolation =
        verified.findings === 0 ? verified.probes : verified.probes.map((probe) => ({ ...probe, ok: false }));

      story = {
        leftOut,
        gateRefused,
        drill: { caught, exposureWindowMs: drillReport.state.exposureWindowMs ?? Number.NaN },
        enforced: { members: report.state.probes.length, tenants: report.tenantProbes.length, durationMs: enforceMs },
        isolation,
      };
    } finally {
      tallies = await writers.stop();
      roles = await watch.stop();
    }
    const after = await leadersAndTimelines(topology);
    const leadersKept = JSON.stringify([...after]) === JSON.stringify([...before]);

    say.step('What the applications saw, and where the fleet stands');
    for (const tally of tallies) say.say(`${tally.scope}: ${tally.ok} writes, ${tally.failed} failed`);
    say.say(
      `${roles.samples} role samples: ${roles.demotions.length} demotions, ${roles.leaderChanges.length} leader changes; leaders and timelines ${leadersKept ? 'unchanged' : 'CHANGED'}`,
    );
    say.command('pgfleet etcd auth status');
    const status = await etcdAuthStatus(connection);
    say.say(
      `etcd ${status.etcdVersion}: auth ${status.authEnabled ? 'ON' : 'off'}, ${status.tokenType} tokens; migration ${status.standing.stage}`,
    );

    const failedWrites = tallies.reduce((sum, tally) => sum + tally.failed, 0);
    const isolated = story.isolation.length > 0 && story.isolation.every((probe) => probe.ok);
    const summary = [
      `lab of 3 clusters × 2 nodes up in ${(up.elapsedMs / 1000).toFixed(1)} s`,
      `a write on each primary read back from its replica: ${replication.map((check) => `${check.scope} (${check.primary} → ${check.replica}, ${check.visibleAfterMs} ms)`).join(', ')}`,
      `gate refused enforce while ${story.leftOut} was not applied (named: ${story.gateRefused.join(', ')})`,
      `drill: the probe caught ${story.drill.caught.join(', ')}; auth switched off again after ${story.drill.exposureWindowMs} ms`,
      `enforce: auth on, ${story.enforced.members} members and ${story.enforced.tenants} tenants probed, in ${(story.enforced.durationMs / 1000).toFixed(1)} s`,
      `tenants ${isolated ? 'isolated' : 'NOT ISOLATED'} (${story.isolation.filter((probe) => probe.ok).length}/${story.isolation.length})`,
      `applications: ${tallies.reduce((sum, tally) => sum + tally.ok, 0)} writes, ${failedWrites} failed; ${roles.demotions.length} demotions, ${roles.leaderChanges.length} leader changes`,
    ];
    if (failedWrites > 0 || roles.demotions.length > 0 || !leadersKept || !isolated) {
      throw new PgfleetError('DEMO_UNEXPECTED', `the demo did not end as it should: ${summary.join('; ')}`, {
        hint: `the lab is kept for inspection in ${dir}; pgfleet lab down --dir ${dir} when done`,
        exitCode: 4,
      });
    }
    if (options.keep) {
      kept = true;
      say.step('Keep the lab running (--keep)');
      say.say(`use it with:  eval "$(pgfleet lab env --dir ${dir})"`);
      say.say(`stop it with: pgfleet lab down --dir ${dir}`);
    }
    return { dir, labUpMs: up.elapsedMs, replication, ...story, writers: tallies, roles, leadersKept, kept, summary };
  };
  try {
    return await untilInterrupted(tell(), options.signal, 'lab demo');
  } catch (error) {
    if (error instanceof PgfleetError && error.code === 'DEMO_UNEXPECTED') kept = true;
    if (isStoryInterruption(error)) kept = false;
    throw error;
  } finally {
    if (!kept) {
      options.narrator.step('Stop the lab and remove its directory');
      const down = await labDown(dir);
      options.narrator.say(`stopped ${down.stopped.length} processes; ${dir} removed`);
    }
  }
}

/**
 * `pgfleet etcd tenants verify` on the lab: the static check over every role
 * range, then each tenant with its own credentials (own prefix read/write,
 * every other tenant's prefix and a key outside them all denied).
 */
export async function verifyLabTenants(state: LabState): Promise<{ findings: number; probes: DemoIsolationProbe[] }> {
  const target = await tenancyTargetFromSettings(labStateSettings(state), {}, {});
  const report = await withAdmin(target.access, (admin) => verifyTenancy(target, admin));
  const probes = (report.live ?? []).map((probe) => ({
    user: probe.user,
    ok: probe.ok,
    detail: probe.ok
      ? `own prefix read/write; denied in ${probe.deniedIn.length} other tenant prefix(es) and outside`
      : [
          probe.ownPrefix.ok ? '' : probe.ownPrefix.detail,
          ...probe.breaches.map((breach) => `could ${breach.op} ${breach.key}`),
          ...probe.errors,
        ]
          .filter(Boolean)
          .join('; '),
  }));
  return { findings: report.findings.length, probes };
}

/** Runs a step that must fail with `code`; the demo stops if it does not. */
export async function expectFailure(
  step: () => Promise<unknown>,
  code: string,
  expectation: string,
): Promise<PgfleetError> {
  try {
    await step();
  } catch (error) {
    if (error instanceof PgfleetError && error.code === code) return error;
    throw error;
  }
  throw new PgfleetError('DEMO_UNEXPECTED', `${expectation}, but it succeeded`, { exitCode: 4 });
}
