import { spawn } from 'node:child_process';
import { PgfleetError } from '../core/errors.js';
import { processesOnHost } from '../core/lab/multihost-topology.js';
import { pendingOnOtherHosts } from '../core/migration/auth-plan.js';
import { inNamespace } from '../adapters/net/network-namespace.js';
import {
  type ApplyOutcome,
  type EnforceReport,
  enforceEtcdAuth,
  etcdAuthStatus,
  planEtcdAuthMigration,
  prepareFleetTenants,
} from '../migration/etcd-auth/index.js';
import { etcdAuthEnabled, fleetConnectionFromSettings } from '../fleet/fleet-connection.js';
import type { DemoNarrator } from './demo-narrator.js';
import { type WriterTally, startFleetWriters } from './fleet-writers.js';
import { labHostProcessEnvironment } from './lab-agent.js';
import { type DemoIsolationProbe, expectFailure, verifyLabTenants } from './lab-demo.js';
import { handOverTenantCredentials } from './lab-hosts.js';
import { labHostNamespace } from './lab-network.js';
import { ensureClusterRoles } from './lab-secrets.js';
import { labStateSettings } from './lab-settings.js';
import { type LabState, loadLabState } from './lab-state.js';
import { labStatusFromHere } from './lab-status.js';
import { type ReplicationCheck, checkWriteReplicates } from './replication-check.js';
import { type RoleWatchReport, leadersAndTimelines, startRoleWatch } from './role-watch.js';

export type NarrationKind = 'step' | 'command' | 'say' | 'progress' | 'endProgress' | 'status';

export interface MultiHostDemoOutcome {
  replication: ReplicationCheck[];
  /** The host left out of the first apply. */
  leftOut: string;
  gateRefused: string[];
  drill: { caught: string[]; exposureWindowMs: number };
  enforced: { members: number; tenants: number; durationMs: number };
  isolation: DemoIsolationProbe[];
  writers: WriterTally[];
  roles: RoleWatchReport;
  leadersKept: boolean;
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

    say.step(`On the coordinator: enforce — the gates refuse, naming the members of ${leftOut}; nothing is changed`);
    say.command('pgfleet etcd auth enforce   # on coordinator');
    const refusal = await expectFailure(
      () => enforceEtcdAuth(connection),
      'ENFORCE_GATES_REFUSED',
      'enforce should have been refused at the gates',
    );
    const failures = refusal.details?.gateFailures as Array<{ subject: string; message: string }>;
    for (const failure of failures) say.say(`refused: ${failure.message}`);
    say.say(`auth is still ${(await etcdAuthEnabled(connection)) ? 'ON (unexpected)' : 'off'}`);

    say.step('Drill: enforce --skip-gates lets the forgotten host through, to watch the live probe catch it');
    say.command('pgfleet etcd auth enforce --skip-gates   # on coordinator');
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

    say.step(`Apply on ${leftOut}`);
    await applyOnHost(state, cli, leftOut, say);

    say.step('On the coordinator: enforce — gates pass, pause, auth enable, every member probed on its host, resume');
    say.command('pgfleet etcd auth enforce   # on coordinator');
    const enforceStarted = Date.now();
    const report = await enforceEtcdAuth(connection, { onProgress: (m) => say.say(`… ${m}`) });
    const enforceMs = Date.now() - enforceStarted;
    say.say(
      `enforced in ${(enforceMs / 1000).toFixed(1)} s: ${report.state.probes.filter((p) => p.ok).length}/${report.state.probes.length} members wrote to the DCS with their own tenant`,
    );

    say.step("Tenants verify: each tenant reads and writes its own prefix and is denied every other tenant's");
    say.command('pgfleet etcd tenants verify   # on coordinator');
    const verified = await verifyLabTenants(state);
    say.say(
      `static check over every role range: ${verified.findings === 0 ? 'no finding' : `${verified.findings} finding(s)`}`,
    );
    for (const probe of verified.probes)
      say.say(`${probe.user}: ${probe.ok ? probe.detail : `FAILED: ${probe.detail}`}`);
    story = {
      gateRefused: failures.map((failure) => failure.subject),
      drill: { caught, exposureWindowMs: drillReport.state.exposureWindowMs ?? Number.NaN },
      enforced: { members: report.state.probes.length, tenants: report.tenantProbes.length, durationMs: enforceMs },
      isolation: verified.findings === 0 ? verified.probes : verified.probes.map((probe) => ({ ...probe, ok: false })),
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
  say.command('pgfleet etcd auth status   # on coordinator');
  const status = await etcdAuthStatus(connection);
  say.say(
    `etcd ${status.etcdVersion}: auth ${status.authEnabled ? 'ON' : 'off'}, ${status.tokenType} tokens; migration ${status.standing.stage}`,
  );
  const readyOn = [...new Set(status.members.map((member) => member.readiness?.host ?? '?'))].sort();
  say.say(`readiness recorded by ${readyOn.join(', ')} (each host under its own name)`);

  const failedWrites = tallies.reduce((sum, tally) => sum + tally.failed, 0);
  const isolated = story.isolation.length > 0 && story.isolation.every((probe) => probe.ok);
  const summary = [
    `lab of ${topology.clusters.length} clusters × ${topology.clusters[0]!.nodes.length} nodes on ${(topology.hosts ?? []).length - 1} hosts and a coordinator (Patroni on ${memberHosts.join(', ')}, etcd on ${topology.etcd.map((m) => m.host).join(', ')}) up in ${(labUpMs / 1000).toFixed(1)} s`,
    `a write on each primary read back from its replica: ${replication.map((check) => `${check.scope} (${check.primary} → ${check.replica}, ${check.visibleAfterMs} ms)`).join(', ')}`,
    `gate refused enforce while ${leftOut} was not applied (named: ${story.gateRefused.join(', ')})`,
    `drill: the probe caught ${story.drill.caught.join(', ')}; auth switched off again after ${story.drill.exposureWindowMs} ms`,
    `enforce: auth on, ${story.enforced.members} members and ${story.enforced.tenants} tenants probed, in ${(story.enforced.durationMs / 1000).toFixed(1)} s`,
    `tenants ${isolated ? 'isolated' : 'NOT ISOLATED'} (${story.isolation.filter((probe) => probe.ok).length}/${story.isolation.length})`,
    `applications: ${tallies.reduce((sum, tally) => sum + tally.ok, 0)} writes, ${failedWrites} failed; ${roles.demotions.length} demotions, ${roles.leaderChanges.length} leader changes`,
  ];
  return {
    replication,
    leftOut,
    ...story,
    writers: tallies,
    roles,
    leadersKept,
    summary,
    asExpected: failedWrites === 0 && roles.demotions.length === 0 && leadersKept && isolated,
  };
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
