import { readFile, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError } from '../core/errors.js';
import { prefixRange } from '../core/etcd/key-range.js';
import { labEtcdEndpoints, labPortCount, type LabCluster } from '../core/lab/lab-topology.js';
import { diagnoseDcsLog } from '../core/migration/dcs-log-diagnosis.js';
import { resolveSitePaths } from '../core/settings/site-paths.js';
import { EtcdAuthApi } from '../adapters/etcd/auth-api.js';
import { EtcdClient, type EtcdCredentials } from '../adapters/etcd/etcd-client.js';
import { writeFileAtomic } from '../adapters/fs/atomic-file.js';
import { generatePassword, readSecretFile, writeSecretFile } from '../adapters/fs/secret-file.js';
import { PatroniRestClient } from '../adapters/patroni/rest-client.js';
import { withSqlConnection } from '../adapters/postgres/sql-connection.js';
import { isRoot } from '../adapters/process/os-user.js';
import { findFreePortRange } from '../adapters/process/port-probe.js';
import { listLocalInstances, type LocalInstance } from '../node/local-instances.js';
import { tailFile } from '../node/patroni-process.js';
import { writeCredentialsIntoConfig } from '../node/patroni-credentials.js';
import { waitForClusters } from './cluster-wait.js';
import type { DemoNarrator } from './demo-narrator.js';
import { labDown } from './lab-down.js';
import { labNodeLayout, startLabNode, stopLabNode } from './lab-node-process.js';
import { ensureClusterRoles, etcdRootPasswordFile, labSecretsDir } from './lab-secrets.js';
import { labStateSettings } from './lab-settings.js';
import { defaultLabDir, type LabState, loadLabState } from './lab-state.js';
import { labUp } from './lab-up.js';
import { isStoryInterruption, narratorUntil, untilInterrupted } from './story-interrupt.js';
import { startFleetWriters } from './fleet-writers.js';
import { leadersAndTimelines } from './role-watch.js';

export interface OutageReplayOptions {
  dir?: string | undefined;
  basePort?: number | undefined;
  keep?: boolean | undefined;
  narrator: DemoNarrator;
  /** Aborted on Ctrl-C: the replay stops, switches etcd auth off and starts every node again (emergency restore), takes down a lab it started, and throws LAB_STORY_INTERRUPTED (exit 130). */
  signal?: AbortSignal | undefined;
}

export interface OutageReplayResult {
  dir: string;
  prepared: string;
  forgotten: string;
  /** What an operator's usual checks said about the forgotten cluster while auth was on. */
  looksHealthy: {
    clusterStatus: number;
    leader: string | undefined;
    dcsLastSeenAdvancedS: number;
    sqlWriteOk: boolean;
  };
  /** What a DCS write from it got. */
  dcsWrite: { status: number; logCause: string };
  /** The next failover: its primary stopped. */
  failover: {
    stoppedPrimary: string;
    watchedMs: number;
    newLeader: string | undefined;
    okWrites: number;
    failedWrites: number;
  };
  restored: { ms: number; leaders: Record<string, string> };
  startedLab: boolean;
  kept: boolean;
  summary: string[];
}

const SHAPE = { clusters: 2, nodes: 2, etcdMembers: 3 };
/** The names the seed's runbook uses. */
const NAIVE = { user: 'patroni_user', role: 'patroni_role' };

/**
 * `pgfleet lab replay-outage`: the naive sequence of the outage report (seed
 * 000) on a lab — one etcd user, credentials added to some nodes only, then
 * `auth enable` — showing that the cluster left out looks healthy (GET
 * /cluster 200, dcs_last_seen advancing, SQL writes fine) while every DCS
 * write it makes fails, and that it breaks at the next failover. Then the
 * lab is restored as it was. Everything goes through etcd's API, never
 * etcdctl with a password on its command line.
 */
export async function replayOutage(options: OutageReplayOptions): Promise<OutageReplayResult> {
  const say = narratorUntil(options.narrator, options.signal);
  const dir = options.dir ?? defaultLabDir();
  let state = await loadLabState(dir).catch(() => undefined);
  const startedLab = state === undefined;
  if (state) {
    checkUsableLab(state);
    say.step(`Use the lab in ${dir}`);
  } else {
    say.step(
      'Start a lab: 3 etcd members, open (no auth), and 2 Patroni clusters of 2 nodes (alpha, beta), on 127.0.0.1',
    );
    say.command(`pgfleet lab up --clusters 2 --nodes 2 --etcd-members 3 --dir ${dir}`);
    const basePort = options.basePort ?? (await findFreePortRange(labPortCount(SHAPE)));
    const up = await labUp({
      ...SHAPE,
      basePort,
      dir,
      signal: options.signal,
      onProgress: (message, transient) => (transient ? say.progress(message) : say.say(message)),
    });
    say.endProgress();
    say.say(`lab ready in ${(up.elapsedMs / 1000).toFixed(1)} s`);
    state = up.state;
  }
  const topology = state.topology;
  const endpoints = labEtcdEndpoints(topology);
  const [preparedCluster, forgottenCluster] = topology.clusters as [LabCluster, LabCluster];
  const anonymous = new EtcdClient({ endpoints });
  if (await anonymous.isAuthEnabled().finally(() => anonymous.close())) {
    throw new PgfleetError('REPLAY_NEEDS_OPEN_ETCD', `etcd auth is already on in the lab in ${dir}`, {
      hint: 'the replay starts from an open etcd: `pgfleet etcd auth rollback` (with the lab env), or another --dir',
    });
  }
  const root: EtcdCredentials = {
    username: 'root',
    password: await readSecretFile(etcdRootPasswordFile(dir), 'etcd root password of the lab'),
  };
  const admin = new EtcdClient({ endpoints, credentials: root });
  const auth = new EtcdAuthApi(admin);
  const instances = await labInstances(state);
  const snapshot = new Map<string, { text: string; mode: number }>();
  const naivePasswordFile = join(labSecretsDir(dir), 'naive-runbook', `${NAIVE.user}.password`);
  const rootExisted = (await auth.getUser('root')) !== undefined;
  let kept = false;
  let restoredFully = false;
  const runbook: RunbookChanges = {
    auth,
    snapshot,
    instances,
    rootExisted,
    naiveSecretsDir: dirname(naivePasswordFile),
  };
  const tell = async (): Promise<OutageReplayResult> => {
    say.step('The runbook of the outage report, as written (seed 000)');
    for (const line of [
      'etcdctl user add patroni_user; etcdctl user passwd patroni_user',
      'etcdctl role add patroni_role',
      'etcdctl role add-user patroni_role patroni_user --prefix /patroni/',
      '# Update Patroni configs BEFORE enabling auth on etcd',
      'etcdctl auth enable',
    ])
      say.say(`  ${line}`);
    say.say('Two lines of it cannot run as written:');
    say.say('  - `etcdctl role add-user` does not exist: the real commands are');
    say.say(
      `    etcdctl role grant-permission ${NAIVE.role} --prefix=true readwrite /service/   and   etcdctl user grant-role ${NAIVE.user} ${NAIVE.role}`,
    );
    say.say('  - `etcdctl auth enable` refuses without a root user holding the root role: the runbook forgets it');
    say.say(
      "  (and `etcdctl user add --new-user-password=...` would put the password in `ps`): here every step goes through etcd's API",
    );

    say.step(
      `Do it: one shared user for every cluster, credentials written into ${preparedCluster.scope}'s nodes only — ${forgottenCluster.scope} is forgotten`,
    );
    if (!rootExisted) {
      await auth.addUser('root', root.password);
      await auth.grantRole('root', 'root');
      say.say('created user root with the root role');
    }
    if ((await auth.getUser(NAIVE.user)) !== undefined) {
      // Left by a replay that was killed part-way: start from the lab as it was.
      await auth.deleteUser(NAIVE.user);
      await auth.deleteRole(NAIVE.role).catch(() => undefined);
      say.say(`${NAIVE.user} was left by an earlier replay stopped part-way: deleted, with ${NAIVE.role}`);
    }
    const naivePassword = generatePassword();
    await writeSecretFile(naivePasswordFile, naivePassword);
    await auth.addUser(NAIVE.user, naivePassword);
    await auth.addRole(NAIVE.role);
    await auth.grantPermission(NAIVE.role, { ...prefixRange('/service/'), permType: 'READWRITE' });
    await auth.grantRole(NAIVE.user, NAIVE.role);
    say.say(
      `created ${NAIVE.user} and ${NAIVE.role} with readwrite on /service/ — every cluster's keys: no isolation between tenants either`,
    );
    for (const instance of instances.filter((candidate) => candidate.scope === preparedCluster.scope)) {
      const info = await stat(instance.configFile);
      snapshot.set(instance.configFile, { text: await readFile(instance.configFile, 'utf8'), mode: info.mode & 0o777 });
      await writeCredentialsIntoConfig(instance, { username: NAIVE.user, password: naivePassword });
      await reload(instance);
      say.say(`${instance.node}: etcd3.username/password written into its YAML, Patroni reloaded`);
    }

    say.step('etcdctl auth enable (through the API, as root)');
    await auth.enable();
    say.say(`auth is ON; ${forgottenCluster.scope}'s Patroni nodes have no credentials`);

    const leaders = await leadersAndTimelines(topology);
    const forgottenLeader = forgottenCluster.nodes.find(
      (node) => node.name === leaders.get(forgottenCluster.scope)?.leader,
    )!;
    const forgottenRest = new PatroniRestClient(`http://${topology.host}:${forgottenLeader.restPort}`);
    let looksHealthy: OutageReplayResult['looksHealthy'];
    let dcsWrite: OutageReplayResult['dcsWrite'];
    try {
      say.step(`${forgottenCluster.scope} looks healthy to the usual checks…`);
      const first = await forgottenRest.nodeStatus();
      const firstAt = Date.now();
      await sleep(6_000);
      const cluster = await forgottenRest.send<{ members?: Array<{ name: string; role: string }> }>('GET', '/cluster');
      const second = await forgottenRest.nodeStatus();
      const secondsApart = Math.round((Date.now() - firstAt) / 1000);
      const roles = await ensureClusterRoles(dir, forgottenCluster.scope);
      const sqlWriteOk = await withSqlConnection(
        {
          host: topology.host,
          port: forgottenLeader.pgPort,
          user: roles.superuser.username,
          password: roles.superuser.password,
        },
        async (client) => {
          await client.query('CREATE TABLE IF NOT EXISTS pgfleet_replay (at timestamptz DEFAULT now())');
          await client.query('INSERT INTO pgfleet_replay DEFAULT VALUES');
          return true;
        },
      ).catch(() => false);
      looksHealthy = {
        clusterStatus: cluster.status,
        leader: cluster.body.members?.find((member) => member.role === 'leader' || member.role === 'master')?.name,
        dcsLastSeenAdvancedS: (second.dcs_last_seen ?? 0) - (first.dcs_last_seen ?? 0),
        sqlWriteOk,
      };
      say.say(
        `GET /cluster on ${forgottenLeader.name}: HTTP ${looksHealthy.clusterStatus}, leader ${looksHealthy.leader ?? 'none'}`,
      );
      say.say(
        `GET /patroni: state ${second.state}, role ${second.role}, dcs_last_seen advanced by ${looksHealthy.dcsLastSeenAdvancedS} s between two looks ${secondsApart} s apart`,
      );
      say.say(`SQL write on the primary: ${sqlWriteOk ? 'OK' : 'FAILED'}`);
      say.say('(its watch stream, opened before auth was enabled, keeps serving reads from a cache)');

      say.step(`…but every DCS write it makes is refused`);
      say.command(
        `curl -X PATCH http://${topology.host}:${forgottenLeader.restPort}/config -d '{"pgfleet_probe": "x"}'`,
      );
      const answer = await forgottenRest.patchConfig({ pgfleet_probe: `replay-${Date.now()}` });
      const log = await tailFile(labNodeLayout(state, forgottenLeader.name).logFile, 300);
      const cause = diagnoseDcsLog(log.split('\n'));
      const logLine = log
        .split('\n')
        .reverse()
        .find((line) => /user name is empty|Username or password not set/i.test(line));
      dcsWrite = { status: answer.status, logCause: cause };
      say.say(
        `PATCH /config (makes Patroni write its config key with its own credentials): HTTP ${answer.status}${answer.status === 409 ? ' — refused' : ''}`,
      );
      if (logLine) say.say(`its log: ${logLine.trim().slice(0, 160)}`);
      say.say(
        'its member key and status are not refreshed either; only its leader lease keeps being kept alive, without a token',
      );
    } finally {
      await forgottenRest.close();
    }

    say.step(
      `The next failover: ${forgottenCluster.scope}'s primary ${forgottenLeader.name} is stopped (a reboot, a maintenance)`,
    );
    say.say('an application writes to the cluster every 50 ms, reconnecting to whichever node is the leader');
    const writers = startFleetWriters(
      dir,
      { ...topology, clusters: [forgottenCluster] },
      new Map([[forgottenCluster.scope, forgottenLeader.name]]),
    );
    await sleep(500);
    const stoppedAt = Date.now();
    await stopLabNode(state, forgottenLeader.name);
    say.say(
      `${forgottenLeader.name} stopped after ${((Date.now() - stoppedAt) / 1000).toFixed(1)} s; its leader key expires with its lease (ttl 20 s), then the replica must write the leader key to take over`,
    );
    const watchMs = 30_000;
    const seen = await waitForClusters(dir, topology, [forgottenCluster.scope], {
      timeoutMs: watchMs,
      until: (readiness) => readiness[0]!.leader !== undefined && Date.now() - stoppedAt > 3_000,
      onPoll: (readiness) =>
        say.progress(
          `${Math.round((Date.now() - stoppedAt) / 1000)} s after the stop: leader ${readiness[0]!.leader ?? 'none'}; ${readiness[0]!.nodes.map((node) => `${node.name} ${node.role ?? node.error ?? '?'}`).join(', ')}`,
        ),
    }).catch((error: unknown) => {
      if (error instanceof PgfleetError && error.code === 'LAB_WAIT_TIMEOUT') return undefined;
      throw error;
    });
    say.endProgress();
    const [tally] = await writers.stop();
    const failover = {
      stoppedPrimary: forgottenLeader.name,
      watchedMs: Date.now() - stoppedAt,
      newLeader: seen?.[0]?.leader,
      okWrites: tally!.ok,
      failedWrites: tally!.failed,
    };
    say.say(
      failover.newLeader
        ? `a new leader appeared: ${failover.newLeader} (unexpected for a cluster without credentials)`
        : `${Math.round(failover.watchedMs / 1000)} s later ${forgottenCluster.scope} still has NO leader: the replica cannot write the leader key. The cluster is down for writes.`,
    );
    say.say(
      `the application: ${failover.okWrites} writes went through (before the stop), ${failover.failedWrites} failed`,
    );

    say.step(
      "Restore the lab: auth disable, the cluster elects a leader, the stopped node rejoins, the runbook's changes are undone",
    );
    const restoreStarted = Date.now();
    await auth.disable();
    say.say('auth disabled (as root)');
    await startLabNode(state, forgottenLeader.name);
    await undoRunbook(runbook, 'strict');
    say.say(`${preparedCluster.scope}'s YAML files restored and reloaded`);
    say.say(`${NAIVE.user}, ${NAIVE.role}${rootExisted ? '' : ' and root'} deleted`);
    const back = await waitForClusters(
      dir,
      topology,
      topology.clusters.map((cluster) => cluster.scope),
      {
        timeoutMs: 90_000,
        onPoll: (readiness) =>
          say.progress(
            `waiting: ${readiness.map((r) => `${r.scope} leader ${r.leader ?? 'none'}, ${r.streaming.length}/${r.expectedReplicas} streaming`).join('; ')}`,
          ),
      },
    );
    say.endProgress();
    restoredFully = true;
    const restored = {
      ms: Date.now() - restoreStarted,
      leaders: Object.fromEntries(back.map((r) => [r.scope, r.leader!])),
    };
    say.say(
      `every cluster has a leader and streaming replicas again after ${(restored.ms / 1000).toFixed(1)} s: ${back.map((r) => `${r.scope} → ${r.leader}`).join(', ')}`,
    );

    const summary = [
      `runbook: one shared etcd user, credentials on ${preparedCluster.scope} only, then auth enable`,
      `${forgottenCluster.scope} looked healthy: GET /cluster ${looksHealthy.clusterStatus}, dcs_last_seen +${looksHealthy.dcsLastSeenAdvancedS} s, SQL writes ${looksHealthy.sqlWriteOk ? 'OK' : 'failing'}`,
      `while its DCS write got HTTP ${dcsWrite.status} (log: ${dcsWrite.logCause})`,
      `next failover: ${failover.newLeader ? `new leader ${failover.newLeader}` : `no leader for ${Math.round(failover.watchedMs / 1000)} s`}; ${failover.failedWrites} application writes failed`,
      `lab restored in ${(restored.ms / 1000).toFixed(1)} s`,
      'pgfleet: `etcd auth enforce` refuses this at the gate (no readiness record), and its write probe catches it in about a second if the gate is skipped',
    ];
    if (options.keep || !startedLab) {
      kept = true;
      say.step(startedLab ? 'Keep the lab running (--keep)' : 'The lab stays, as it was before the replay');
      say.say(`use it with:  eval "$(pgfleet lab env --dir ${dir})"`);
    }
    return {
      dir,
      prepared: preparedCluster.scope,
      forgotten: forgottenCluster.scope,
      looksHealthy,
      dcsWrite,
      failover,
      restored,
      startedLab,
      kept,
      summary,
    };
  };
  try {
    return await untilInterrupted(tell(), options.signal, 'lab replay-outage');
  } catch (error) {
    if (isStoryInterruption(error)) kept = false;
    throw error;
  } finally {
    if (!restoredFully) await emergencyRestore(runbook, state, options.narrator).catch(() => undefined);
    await admin.close();
    if (startedLab && !kept) {
      options.narrator.step('Stop the lab and remove its directory');
      const down = await labDown(dir);
      options.narrator.say(`stopped ${down.stopped.length} processes; ${dir} removed`);
    }
  }
}

/** What the runbook changes on the lab, for undoing it. */
interface RunbookChanges {
  auth: EtcdAuthApi;
  /** The prepared cluster's YAML files as they were before credentials were written into them. */
  snapshot: Map<string, { text: string; mode: number }>;
  instances: LocalInstance[];
  rootExisted: boolean;
  naiveSecretsDir: string;
}

/**
 * Undoes the runbook once auth is off: the prepared cluster's YAML files
 * back as they were (Patroni reloaded), the shared user and role deleted,
 * root too if the runbook created it, its password file removed. `strict`
 * stops at the first failure; `best-effort` (a replay stopped part-way,
 * where some steps never happened) goes through every step.
 */
async function undoRunbook(changes: RunbookChanges, mode: 'strict' | 'best-effort'): Promise<void> {
  const step = async (work: () => Promise<unknown>): Promise<void> => {
    if (mode === 'strict') await work();
    else await work().catch(() => undefined);
  };
  for (const [file, original] of changes.snapshot) {
    const instance = changes.instances.find((candidate) => candidate.configFile === file)!;
    await step(async () => {
      await writeFileAtomic(file, original.text, { mode: original.mode, owner: instance.owner });
      await reload(instance);
    });
  }
  await step(() => changes.auth.deleteUser(NAIVE.user));
  await step(() => changes.auth.deleteRole(NAIVE.role));
  if (!changes.rootExisted) await step(() => changes.auth.deleteUser('root'));
  await step(() => rm(changes.naiveSecretsDir, { recursive: true, force: true }));
}

/**
 * On a failure or Ctrl-C part-way: etcd auth off again, every node running,
 * and what the runbook had changed undone, so the lab is as it was (a replay
 * can run on it again) or can be taken down.
 */
async function emergencyRestore(changes: RunbookChanges, state: LabState, say: DemoNarrator): Promise<void> {
  await changes.auth.disable().catch(() => undefined);
  for (const cluster of state.topology.clusters) {
    for (const node of cluster.nodes) await startLabNode(state, node.name).catch(() => undefined);
  }
  await undoRunbook(changes, 'best-effort');
  say.say(
    "the replay stopped part-way: etcd auth was switched off again, every node started, and the runbook's user, role and YAML changes undone",
  );
}

function checkUsableLab(state: LabState): void {
  const usable =
    state.phase === 'ready' &&
    state.topology.clusters.length >= 2 &&
    state.topology.clusters.slice(0, 2).every((cluster) => cluster.nodes.length >= 2);
  if (!usable) {
    throw new PgfleetError(
      'REPLAY_LAB_TOO_SMALL',
      `the lab in ${state.dir} needs 2 ready clusters of 2 nodes or more for the replay`,
      { hint: 'start one with `pgfleet lab up`, or let the replay start its own with another --dir' },
    );
  }
}

async function labInstances(state: LabState): Promise<LocalInstance[]> {
  const paths = resolveSitePaths(labStateSettings(state), { isRoot: isRoot(), home: '/', env: {} });
  return listLocalInstances(paths.patroniConfigDir, paths.patroniLogDir);
}

async function reload(instance: LocalInstance): Promise<void> {
  const rest = new PatroniRestClient(instance.restUrl, instance.restCredentials);
  try {
    const answer = await rest.reload();
    if (answer.status !== 200 && answer.status !== 202)
      throw new PgfleetError(
        'REPLAY_RELOAD_FAILED',
        `POST /reload on ${instance.node} answered HTTP ${answer.status}`,
        { exitCode: 4 },
      );
  } finally {
    await rest.close();
  }
}
