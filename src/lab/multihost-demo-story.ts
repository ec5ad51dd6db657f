import { spawn } from 'node:child_process';
import { PgfleetError } from '../core/errors.js';
import { processesOnHost } from '../core/lab/multihost-topology.js';
import { pendingOnOtherHosts } from '../core/migration/auth-plan.js';
import { inNamespace } from '../adapters/net/network-namespace.js';
import { type ApplyOutcome, planEtcdAuthMigration, prepareFleetTenants } from '../migration/etcd-auth/index.js';
import { fleetConnectionFromSettings } from '../fleet/fleet-connection.js';
import type { DemoNarrator } from './demo-narrator.js';
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
import { labHostProcessEnvironment } from './lab-agent.js';
import { handOverTenantCredentials } from './lab-hosts.js';
import { labHostNamespace } from './lab-network.js';
import { ensureClusterRoles } from './lab-secrets.js';
import { labStateSettings } from './lab-settings.js';
import { type LabState, loadLabState } from './lab-state.js';
import { labStatusFromHere } from './lab-status.js';
import { checkWriteReplicates } from './replication-check.js';
import { type RoleWatchReport, leadersAndTimelines, startRoleWatch } from './role-watch.js';

export type NarrationKind = 'step' | 'command' | 'say' | 'progress' | 'endProgress' | 'status';

export interface MultiHostDemoOutcome extends DemoFigures {
  summary: string[];
  /** False when the story did not end as it should (the lab is then kept for inspection). */
  asExpected: boolean;
}

/**
 * The multi-host migration as an operator runs it, told by the lab agent on
 * the coordinator host (the host the operator drives the fleet from, with
 * its settings and identity): plan and prepare here; each member host gets
 * the tenant password files of its clusters (0600 copies, as scp -p); on
 * each member host, pgfleet of that host applies its own members
 * (`etcd auth apply --host-only`, run there, in its namespace); enforce
 * from here. One host is forgotten at first: the gates refuse, naming its
 * members, and the drill shows the probe catch them. Applications write on
 * every primary throughout; the summary has the one-host demo's shape.
 */
export async function multiHostDemoStory(
  dir: string,
  cli: string[],
  labUpMs: number,
  narrate: (kind: NarrationKind, value: unknown) => void,
): Promise<MultiHostDemoOutcome> {
  const say: DemoNarrator = {
    step: (title) => narrate('step', title),
    command: (line) => narrate('command', line),
    say: (line) => narrate('say', line),
    progress: (line) => narrate('progress', line),
    endProgress: () => narrate('endProgress', null),
    status: (status) => narrate('status', status),
  };
  const state = await loadLabState(dir);
  const topology = state.topology;
  const connection = await fleetConnectionFromSettings(labStateSettings(state));
  const memberHosts = (topology.hosts ?? [])
    .map((host) => host.name)
    .filter((host) => processesOnHost(topology, host).nodes.length > 0);
  const leftOut = memberHosts.at(-1)!;
  const firstHosts = memberHosts.filter((host) => host !== leftOut);

  say.step('The fleet as it is: every host in its own network namespace; etcd open to any client');
  say.command('pgfleet lab status');
  say.status(await labStatusFromHere(dir));

  say.step('A write on each primary, read back from its replica on another host');
  const before = await leadersAndTimelines(topology);
  const replication = await Promise.all(
    topology.clusters.map(async (cluster) =>
      checkWriteReplicates(
        topology,
        cluster,
        before.get(cluster.scope)?.leader ?? cluster.nodes[0]!.name,
        await ensureClusterRoles(dir, cluster.scope),
      ),
    ),
  );
  for (const check of replication)
    say.say(
      `${check.scope}: row ${check.marker} written on ${check.primary}, read back on ${check.replica} after ${check.visibleAfterMs} ms`,
    );

  say.step(
    "Applications write on every primary (every 50 ms) for the whole story; every node's role is sampled from the coordinator",
  );
  const writers = startFleetWriters(dir, topology, new Map([...before].map(([scope, v]) => [scope, v.leader])));
  const watch = startRoleWatch(topology, 500);
  let tallies: WriterTally[] = [];
  let roles: RoleWatchReport = { samples: 0, demotions: [], leaderChanges: [] };
  let story: Pick<MultiHostDemoOutcome, 'gateRefused' | 'drill' | 'enforced' | 'isolation'>;
  try {
    say.say(
      `leaders: ${[...before].map(([scope, v]) => `${scope} → ${v.leader} (timeline ${v.timeline})`).join(', ')}`,
    );

    say.step('On the coordinator: plan — every member found in the DCS, none of them on this host');
    say.command('pgfleet etcd auth plan   # on coordinator');
    const plan = await planEtcdAuthMigration(connection);
    say.say(
      `${plan.members.length} members in ${plan.clusters.length} clusters, on ${memberHosts.join(', ')}: ${pendingOnOtherHosts(plan).length} wait for \`etcd auth apply --host-only\` on their host`,
    );

    say.step('On the coordinator: prepare — root, and per cluster one etcd user and role on its own prefix only');
    say.command('pgfleet etcd auth prepare   # on coordinator');
    const prepared = await prepareFleetTenants(connection);
    say.say(`${prepared.filter((action) => action.startsWith('grant readwrite')).join('; ')}`);
    say.say("passwords are generated into 0600 files in the coordinator's secrets directory; none is printed");

    say.step("Hand each member host the password files of its clusters' tenants, and only those");
    for (const host of memberHosts) {
      say.command(`scp -p <secrets_dir>/patroni-*.password ${host}:<secrets_dir>/   # mode 0600 kept`);
      const handed = await handOverTenantCredentials(state, host);
      say.say(
        `${host}: ${handed.users.join(', ')} (file to file: never on a command line, in a log or an environment)`,
      );
    }

    say.step(`Apply on every member host but ${leftOut}, as if that host had been forgotten`);
    for (const host of firstHosts) await applyOnHost(state, cli, host, say);

    const stage = { say, connection, where: '   # on coordinator' };
    const gateRefused = await tellGateRefusal(
      stage,
      `On the coordinator: enforce — the gates refuse, naming the members of ${leftOut}; nothing is changed`,
    );
    const drill = await tellDrill(
      stage,
      'On the coordinator, a drill: enforce --skip-gates lets the forgotten host through, to watch the live probe catch it',
    );

    say.step(`Apply on ${leftOut}`);
    await applyOnHost(state, cli, leftOut, say);

    const enforced = await tellEnforce(
      stage,
      'On the coordinator: enforce — gates pass, pause, auth enable, every member probed on its host, resume',
    );
    const isolation = await tellTenantsVerify(stage, state);
    story = { gateRefused, drill, enforced, isolation };
  } finally {
    tallies = await writers.stop();
    roles = await watch.stop();
  }
  const after = await leadersAndTimelines(topology);
  const leadersKept = JSON.stringify([...after]) === JSON.stringify([...before]);

  const status = await tellOutcome({ say, connection, where: '   # on coordinator' }, { tallies, roles, leadersKept });
  const readyOn = [...new Set(status.members.map((member) => member.readiness?.host ?? '?'))].sort();
  say.say(`readiness recorded by ${readyOn.join(', ')} (each host under its own name)`);

  const { lines: summary, asExpected } = demoSummary({
    lab: `lab of ${topology.clusters.length} clusters × ${topology.clusters[0]!.nodes.length} nodes on ${(topology.hosts ?? []).length - 1} hosts and a coordinator (Patroni on ${memberHosts.join(', ')}, etcd on ${topology.etcd.map((m) => m.host).join(', ')}) up in ${(labUpMs / 1000).toFixed(1)} s`,
    replication,
    leftOut,
    ...story,
    writers: tallies,
    roles,
    leadersKept,
  });
  return { replication, leftOut, ...story, writers: tallies, roles, leadersKept, summary, asExpected };
}

/** `pgfleet etcd auth apply --host-only`, run by the pgfleet of `host`, in its namespace, with its environment. */
async function applyOnHost(state: LabState, cli: string[], host: string, say: DemoNarrator): Promise<void> {
  say.command(`pgfleet etcd auth apply --host-only   # on ${host}`);
  const launch = inNamespace(labHostNamespace(state, host), cli[0]!, [
    ...cli.slice(1),
    '--output',
    'json',
    'etcd',
    'auth',
    'apply',
    '--host-only',
  ]);
  const { code, stdout, stderr } = await new Promise<{ code: number | null; stdout: string; stderr: string }>(
    (resolve, reject) => {
      const child = spawn(launch.command, launch.args, {
        env: { ...labHostProcessEnvironment(state, host), NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
      child.once('error', reject);
      child.once('close', (exit) => resolve({ code: exit, stdout: out, stderr: err }));
    },
  );
  if (code !== 0) {
    throw new PgfleetError('DEMO_UNEXPECTED', `etcd auth apply on ${host} failed (exit ${code})`, {
      hint: stderr.trim().split('\n').slice(-3).join(' | '),
      exitCode: 4,
    });
  }
  const outcomes = (JSON.parse(stdout) as { outcomes: ApplyOutcome[] }).outcomes;
  for (const outcome of outcomes) say.say(`${host}: ${outcome.scope}/${outcome.member}: ${outcome.detail}`);
}
