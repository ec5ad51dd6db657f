import { PgfleetError } from '../core/errors.js';
import { findFreePortRange } from '../adapters/process/port-probe.js';
import { labPortCount } from '../core/lab/lab-topology.js';
import { applyFleetCredentials, planEtcdAuthMigration, prepareFleetTenants } from '../migration/etcd-auth/index.js';
import { fleetConnectionFromSettings } from '../fleet/fleet-connection.js';
import {
  type DemoFigures,
  demoSummary,
  tellDrill,
  tellEnforce,
  tellGateRefusal,
  tellOutcome,
  tellTenantsVerify,
} from './demo-steps.js';
import { type WriterTally, startFleetWriters } from './fleet-writers.js';
import { labDown } from './lab-down.js';
import { ensureClusterRoles } from './lab-secrets.js';
import { labStateSettings } from './lab-settings.js';
import { labStatus } from './lab-status.js';
import { defaultLabDir } from './lab-state.js';
import { labUp } from './lab-up.js';
import { isStoryInterruption, narratorUntil, untilInterrupted } from './story-interrupt.js';
import { checkWriteReplicates } from './replication-check.js';
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

export interface LabDemoResult extends DemoFigures {
  dir: string;
  labUpMs: number;
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

      const stage = { say, connection, where: '' };
      const gateRefused = await tellGateRefusal(
        stage,
        'Enforce: the gates refuse, naming the members that are not ready; nothing is changed',
      );
      const drill = await tellDrill(
        stage,
        'Drill: enforce --skip-gates lets the unprepared cluster through, to watch the live probe catch it',
      );

      say.step(`Apply the missing cluster ${leftOut}`);
      say.command(`pgfleet etcd auth apply   # on the host running ${leftOut}`);
      const appliedLate = await applyFleetCredentials(connection, {
        instances: connection.localInstances.filter((instance) => instance.scope === leftOut),
      });
      for (const outcome of appliedLate) say.say(`${outcome.scope}/${outcome.member}: ${outcome.detail}`);

      const enforced = await tellEnforce(
        stage,
        'Enforce: gates pass, pause, auth enable, every member writes to the DCS with its own credentials, resume',
      );
      const isolation = await tellTenantsVerify(stage, up.state);
      story = { leftOut, gateRefused, drill, enforced, isolation };
    } finally {
      tallies = await writers.stop();
      roles = await watch.stop();
    }
    const after = await leadersAndTimelines(topology);
    const leadersKept = JSON.stringify([...after]) === JSON.stringify([...before]);

    await tellOutcome({ say, connection, where: '' }, { tallies, roles, leadersKept });
    const { lines: summary, asExpected } = demoSummary({
      lab: `lab of 3 clusters × 2 nodes up in ${(up.elapsedMs / 1000).toFixed(1)} s`,
      replication,
      ...story,
      writers: tallies,
      roles,
      leadersKept,
    });
    if (!asExpected) {
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
