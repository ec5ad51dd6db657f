/**
 * bench/secure-fleet: securing a live, open fleet (N clusters × 2 nodes, 3
 * etcd members, a writer on every primary) on the lab, two ways:
 *   - pgfleet: `pgfleet etcd auth migrate --yes` (the built CLI, as an operator runs it);
 *   - the naive runbook of the outage report, done right: per-cluster users
 *     via the API, each node's YAML updated and its Patroni restarted one
 *     node at a time (waiting for the cluster to be healthy again), then
 *     auth enable.
 * For each: wall time, failed writes, leader changes, demotions. Targets:
 * 10 clusters secured by pgfleet in ≤ 15 s with 0 failed writes and 0
 * leader changes; 50 in ≤ 30 s, every cluster paused ≤ 5 s, s/cluster at
 * 50 no worse than at 10 (issue 20).
 * For pgfleet, the phases come from the run's own report (the JSON report
 * file enforce keeps): plan, prepare, apply, gates, pause, enable, probes
 * (every member re-authenticated and proved its write), resume, each with
 * its s/cluster; each cluster's pause window (max, median); and the CPU
 * time etcd's members spent from auth enable to the last probe (the
 * authentication herd), sampled from /proc/<pid>/stat.
 * With --hosts N (as root), the same clusters are also secured on a
 * multi-host lab (N hosts and a coordinator, each in its own network
 * namespace), as an operator runs it across hosts: prepare on the
 * coordinator, the tenants' password files copied to each host, `etcd auth
 * apply --host-only` on every host at once, enforce on the coordinator; the
 * writers and the role sampling run on the coordinator host. Its figures
 * are printed beside the one-host ones (goal: within 1.5×).
 * Prints figures and tables; asserts nothing.
 * Usage: node --import tsx bench/secure-fleet.ts [sizes, default 1,5,10] [--only pgfleet,naive,multihost] [--hosts N]
 *   [--bcrypt-cost N]  etcd --bcrypt-cost of the lab (default etcd's, 10)
 *   [--rollback]       one member loses its credentials before enforce (--skip-gates): how fast auth is off again
 *   [--beside N]       a second lab of N clusters × 2 with writers runs beside the measured one
 */
import { execFile } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EtcdAuthApi } from '../src/adapters/etcd/auth-api.js';
import { EtcdClient } from '../src/adapters/etcd/etcd-client.js';
import { generatePassword, readSecretFile } from '../src/adapters/fs/secret-file.js';
import { findFreePortRange } from '../src/adapters/process/port-probe.js';
import { prefixRange } from '../src/core/etcd/key-range.js';
import { labEtcdEndpoints, labPortCount } from '../src/core/lab/lab-topology.js';
import { resolveSitePaths } from '../src/core/settings/site-paths.js';
import { textTable } from '../src/core/text-table.js';
import { listLocalInstances } from '../src/node/local-instances.js';
import { waitForClusters } from '../src/lab/cluster-wait.js';
import { startFleetWriters } from '../src/lab/fleet-writers.js';
import { labDown } from '../src/lab/lab-down.js';
import { labEnv } from '../src/lab/lab-env.js';
import { restartLabNode } from '../src/lab/lab-node-process.js';
import { etcdRootPasswordFile } from '../src/lab/lab-secrets.js';
import { labSiteSettings } from '../src/lab/lab-settings.js';
import { labUp, type LabUpResult } from '../src/lab/lab-up.js';
import { leadersAndTimelines, startRoleWatch } from '../src/lab/role-watch.js';
import type { FleetWatchReport } from '../src/lab/fleet-watch.js';
import { labHostProcessEnvironment, startLabAgent } from '../src/lab/lab-agent.js';
import { labHostNamespace } from '../src/lab/lab-network.js';
import type { LabState } from '../src/lab/lab-state.js';
import { inNamespace } from '../src/adapters/net/network-namespace.js';
import { handOverTenantCredentials } from '../src/lab/lab-hosts.js';
import { multiHostLabUp } from '../src/lab/multihost-up.js';
import { processesOnHost } from '../src/core/lab/multihost-topology.js';
import { roleChanges } from '../src/core/lab/role-samples.js';
import { writeCredentialsIntoConfig } from '../src/node/patroni-credentials.js';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { processCpuSeconds } from '../src/adapters/process/process-table.js';
import { summarizePauseWindows, type PauseWindow } from '../src/core/migration/pause-window.js';
import type { PhaseTiming } from '../src/core/migration/phase-timings.js';
import { labNodeRestClient } from '../src/lab/lab-rest-client.js';
import { fileURLToPath } from 'node:url';

type Way = 'pgfleet' | 'naive' | 'multihost';
interface Row {
  clusters: number;
  way: Way;
  wallMs: number;
  ok: boolean;
  writes: number;
  failedWrites: number;
  leaderChanges: number;
  demotions: number;
  longestOutageMs: number;
  labUpMs: number;
  /** 1-minute load average before and after (the machine is shared). */
  load: string;
  note: string;
  /** From the run's report (pgfleet only). */
  timings?: PhaseTiming[] | undefined;
  pause?: { maxMs: number; medianMs: number; clusters: number } | undefined;
  /** CPU seconds etcd's members used from auth enable to the end of the probes. */
  etcdCpuDuringEnableS?: number | undefined;
  /** Rollback runs: auth enable → auth disable. */
  exposureWindowMs?: number | undefined;
  labMemoryMb: number;
}

interface EnforceReportFile {
  timings?: PhaseTiming[];
  pauseWindows?: PauseWindow[];
  state: { enabledAt?: string; exposureWindowMs?: number; phase: string };
}

const args = process.argv.slice(2);
const only = args.includes('--only') ? (args[args.indexOf('--only') + 1]!.split(',') as Way[]) : undefined;
const optionValue = (name: string): string | undefined =>
  args.includes(name) ? args[args.indexOf(name) + 1] : undefined;
const hosts = optionValue('--hosts') === undefined ? undefined : Number(optionValue('--hosts'));
const valued = ['--hosts', '--bcrypt-cost', '--beside', '--only'];
const sizes = (args.find((arg, index) => /^\d+(,\d+)*$/.test(arg) && !valued.includes(args[index - 1]!)) ?? '1,5,10')
  .split(',')
  .map(Number);
const ways: Way[] = only ?? ['pgfleet', ...(hosts ? (['multihost'] as const) : []), 'naive'];
const bcryptCost = optionValue('--bcrypt-cost') === undefined ? undefined : Number(optionValue('--bcrypt-cost'));
const rollbackDrill = args.includes('--rollback');
const beside = Number(optionValue('--beside') ?? 0);
const rows: Row[] = [];

// The built CLI, as an operator runs it (npm run bench:secure-fleet builds it first through scripts/setup.sh).
const CLI_PATH = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(CLI_PATH)) throw new Error(`${CLI_PATH} is missing: run bash scripts/setup.sh`);
for (const clusters of sizes) {
  for (const way of ways) {
    const row = way === 'multihost' ? await onFreshMultiHostLab(clusters, hosts ?? 3) : await onFreshLab(clusters, way);
    rows.push(row);
    console.log(
      `${clusters} cluster(s), ${way}: ${(row.wallMs / 1000).toFixed(1)} s, ${row.failedWrites}/${row.writes} failed writes, ${row.leaderChanges} leader changes, ${row.demotions} demotions, lab up ${(row.labUpMs / 1000).toFixed(1)} s / ${row.labMemoryMb} MB, load ${row.load}${row.note ? ` (${row.note})` : ''}`,
    );
    if (row.timings)
      console.log(`  phases: ${row.timings.map((t) => `${t.step} ${(t.ms / 1000).toFixed(2)} s`).join(', ')}`);
    if (row.pause)
      console.log(
        `  paused: ${row.pause.clusters} cluster(s), max ${(row.pause.maxMs / 1000).toFixed(2)} s, median ${(row.pause.medianMs / 1000).toFixed(2)} s; etcd CPU from enable to last probe: ${row.etcdCpuDuringEnableS?.toFixed(2) ?? '?'} s${row.exposureWindowMs !== undefined ? `; auth on for ${row.exposureWindowMs} ms before rollback` : ''}`,
      );
  }
}

console.log('');
console.log(
  textTable(
    [
      'CLUSTERS',
      'WAY',
      'WALL TIME',
      'FAILED WRITES',
      'LONGEST WRITE OUTAGE',
      'LEADER CHANGES',
      'DEMOTIONS',
      'LOAD (1 min)',
      'RESULT',
    ],
    rows.map((row) => [
      `${row.clusters} × 2`,
      row.way === 'pgfleet'
        ? 'pgfleet etcd auth migrate --yes'
        : row.way === 'multihost'
          ? `pgfleet across ${hosts} hosts + coordinator`
          : 'naive runbook (restart per node)',
      `${(row.wallMs / 1000).toFixed(1)} s`,
      `${row.failedWrites} / ${row.writes}`,
      `${(row.longestOutageMs / 1000).toFixed(1)} s`,
      String(row.leaderChanges),
      String(row.demotions),
      row.load,
      row.ok ? 'auth on' : `FAILED: ${row.note}`,
    ]),
  ),
);
if (hosts) {
  console.log('');
  for (const clusters of sizes) {
    const one = rows.find((row) => row.clusters === clusters && row.way === 'pgfleet');
    const multi = rows.find((row) => row.clusters === clusters && row.way === 'multihost');
    if (!one || !multi) continue;
    const ratio = multi.wallMs / one.wallMs;
    console.log(
      `${clusters} × 2: one host ${(one.wallMs / 1000).toFixed(1)} s, ${hosts} hosts ${(multi.wallMs / 1000).toFixed(1)} s (${ratio.toFixed(2)}×, goal ≤ 1.5× → ${ratio <= 1.5 ? 'met' : 'NOT met'}); failed writes ${one.failedWrites} vs ${multi.failedWrites}; leader changes ${one.leaderChanges} vs ${multi.leaderChanges}; lab up ${(one.labUpMs / 1000).toFixed(1)} s vs ${(multi.labUpMs / 1000).toFixed(1)} s`,
    );
  }
}
const phased = rows.filter((row) => row.timings);
if (phased.length > 0) {
  const steps = [...new Set(phased.flatMap((row) => row.timings!.map((t) => t.step)))];
  console.log('');
  console.log(
    textTable(
      [
        'CLUSTERS',
        ...steps.map((step) => step.toUpperCase()),
        'TOTAL',
        'PAUSE MAX / MEDIAN',
        'ETCD CPU (enable→probes)',
        'LOAD',
      ],
      phased.map((row) => {
        const total = row.timings!.reduce((sum, t) => sum + t.ms, 0);
        const cell = (ms: number | undefined): string =>
          ms === undefined ? '-' : `${(ms / 1000).toFixed(1)} s (${(ms / 1000 / row.clusters).toFixed(2)}/cl)`;
        return [
          `${row.clusters} × 2`,
          ...steps.map((step) => cell(row.timings!.find((t) => t.step === step)?.ms)),
          cell(total),
          row.pause ? `${(row.pause.maxMs / 1000).toFixed(1)} / ${(row.pause.medianMs / 1000).toFixed(1)} s` : '-',
          row.etcdCpuDuringEnableS === undefined ? '-' : `${row.etcdCpuDuringEnableS.toFixed(2)} s`,
          row.load,
        ];
      }),
    ),
  );
}
const ten = rows.find((row) => row.clusters === 10 && row.way === 'pgfleet');
if (ten)
  console.log(
    `\ntarget (10 clusters by pgfleet: ≤ 15 s, 0 failed writes, 0 leader changes): ${(ten.wallMs / 1000).toFixed(1)} s, ${ten.failedWrites} failed writes, ${ten.leaderChanges} leader changes → ${ten.ok && ten.wallMs <= 15_000 && ten.failedWrites === 0 && ten.leaderChanges === 0 ? 'met' : 'NOT met'}`,
  );

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ')[0]!;
}

async function onFreshLab(clusters: number, way: Way): Promise<Row> {
  const parent = await mkdtemp(join(tmpdir(), 'pgfleet-bench-secure-'));
  await chmod(parent, 0o755);
  const dir = join(parent, 'lab');
  const shape = { clusters, nodes: 2, etcdMembers: 3 };
  const besideDir = join(parent, 'beside');
  let besideWriters: ReturnType<typeof startFleetWriters> | undefined;
  try {
    const lab = await labUpWithRetries(shape, dir);
    if (beside > 0) {
      // A second fleet on its own etcd, busy with writers: the machine the measured run shares.
      const other = await labUpWithRetries({ clusters: beside, nodes: 2, etcdMembers: 3 }, besideDir);
      const leaders = await leadersAndTimelines(other.state.topology);
      besideWriters = startFleetWriters(
        besideDir,
        other.state.topology,
        new Map([...leaders].map(([scope, v]) => [scope, v.leader])),
      );
    }
    if (rollbackDrill && way === 'pgfleet') await withoutCredentialsOnOneMember(dir, lab);
    const before = await leadersAndTimelines(lab.state.topology);
    // One sample a second: every GET /patroni queries PostgreSQL, and 20 nodes sampled faster would load the box being measured.
    const watch = startRoleWatch(lab.state.topology, 1_000);
    const writers = startFleetWriters(
      dir,
      lab.state.topology,
      new Map([...before].map(([scope, v]) => [scope, v.leader])),
    );
    // Writers connected and writing before the clock starts.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const loadBefore = loadAverage();
    const etcdCpu = sampleEtcdCpu(lab.state.processes.filter((p) => p.kind === 'etcd').map((p) => p.pid));
    const started = performance.now();
    let ok = true;
    let note = '';
    try {
      if (way === 'pgfleet') await securedByPgfleet(dir, rollbackDrill);
      else await securedByNaiveRunbook(lab);
    } catch (error) {
      ok = false;
      note = error instanceof Error ? error.message.split('\n')[0]!.slice(0, 160) : String(error);
    }
    const wallMs = performance.now() - started;
    const cpuSamples = await etcdCpu.stop();
    const report = way === 'pgfleet' ? await latestEnforceReport(dir) : undefined;
    const tallies = await writers.stop();
    const roles = await watch.stop();
    const after = await leadersAndTimelines(lab.state.topology).catch(() => new Map());
    const changedByCompare = [...before].filter(
      ([scope, v]) => after.get(scope)?.leader !== v.leader || after.get(scope)?.timeline !== v.timeline,
    ).length;
    return {
      clusters,
      way,
      wallMs,
      ok,
      writes: tallies.reduce((sum, tally) => sum + tally.ok + tally.failed, 0),
      failedWrites: tallies.reduce((sum, tally) => sum + tally.failed, 0),
      leaderChanges: Math.max(roles.leaderChanges.length, changedByCompare),
      demotions: roles.demotions.length,
      longestOutageMs: Math.max(0, ...tallies.map((tally) => tally.longestOutageMs)),
      labUpMs: lab.elapsedMs,
      load: `${loadBefore} → ${loadAverage()}`,
      note,
      labMemoryMb: Math.round(lab.memory.bytes / 1048576),
      ...(report ? phasesOf(report, cpuSamples) : {}),
    };
  } finally {
    await besideWriters?.stop().catch(() => undefined);
    if (beside > 0) await labDown(besideDir).catch(() => undefined);
    await labDown(dir).catch(() => undefined);
    await rm(parent, { recursive: true, force: true });
  }
}

/**
 * The machine is shared: a port found free can be taken (another lab, or an
 * outgoing connection's ephemeral port) before Patroni binds it. Ports are
 * taken below Linux's ephemeral range, and a failed start is retried on a
 * new range.
 */
async function labUpWithRetries(
  shape: { clusters: number; nodes: number; etcdMembers: number },
  dir: string,
): Promise<LabUpResult> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await labUp({
        ...shape,
        basePort: await findFreePortRange(labPortCount(shape)),
        dir,
        timeoutMs: 900_000,
        etcdBcryptCost: bcryptCost,
      });
    } catch (error) {
      await labDown(dir).catch(() => undefined);
      if (attempt === 3) throw error;
      console.log(`lab up failed (${error instanceof Error ? error.message : String(error)}): retrying on other ports`);
    }
  }
}

async function securedByPgfleet(dir: string, drill: boolean): Promise<void> {
  const env = { ...process.env, ...(await labEnv(dir)), NO_COLOR: '1' };
  try {
    // The drill has prepared and applied already (one member then lost its credentials): enforce past the gates.
    await promisify(execFile)(
      process.execPath,
      [CLI_PATH, 'etcd', 'auth', ...(drill ? ['enforce', '--skip-gates'] : ['migrate', '--yes'])],
      { env, timeout: 600_000 },
    );
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      `migrate failed: ${stderr.split('\n').find((line) => line.startsWith('error:')) ?? stderr.slice(-200)}`,
    );
  }
}

/** The outage report's runbook, with its mistakes fixed (root created, every node updated before auth enable): still a restart per node. */
async function securedByNaiveRunbook(lab: LabUpResult): Promise<void> {
  const { topology, dir } = lab.state;
  const root = { username: 'root', password: await readSecretFile(etcdRootPasswordFile(dir), 'etcd root password') };
  const admin = new EtcdClient({ endpoints: labEtcdEndpoints(topology), credentials: root });
  const auth = new EtcdAuthApi(admin);
  try {
    await auth.addUser('root', root.password);
    await auth.grantRole('root', 'root');
    const passwords = new Map<string, ReturnType<typeof generatePassword>>();
    for (const cluster of topology.clusters) {
      const user = `patroni_${cluster.scope}`;
      passwords.set(cluster.scope, generatePassword());
      await auth.addUser(user, passwords.get(cluster.scope)!);
      await auth.addRole(user);
      await auth.grantPermission(user, { ...prefixRange(`/service/${cluster.scope}/`), permType: 'READWRITE' });
      await auth.grantRole(user, user);
    }
    const paths = resolveSitePaths(labSiteSettings(dir, topology).settings, {
      isRoot: process.getuid?.() === 0,
      home: '/',
      env: {},
    });
    const instances = await listLocalInstances(paths.patroniConfigDir);
    for (const cluster of topology.clusters) {
      for (const node of cluster.nodes) {
        const instance = instances.find((candidate) => candidate.node === node.name)!;
        await writeCredentialsIntoConfig(instance, {
          username: `patroni_${cluster.scope}`,
          password: passwords.get(cluster.scope)!,
        });
        await restartLabNode(lab.state, node.name);
        // A careful operator waits for the cluster to be whole again before the next node.
        await waitForClusters(dir, topology, [cluster.scope], { timeoutMs: 120_000 });
      }
    }
    await auth.enable();
  } finally {
    await admin.close();
  }
}

/**
 * The same clusters on a multi-host lab, secured as an operator does across
 * hosts (see the header). Writers and role samples come from a lab agent on
 * the coordinator host: the lab's addresses exist only inside its namespaces.
 */
async function onFreshMultiHostLab(clusters: number, hostCount: number): Promise<Row> {
  const parent = await mkdtemp(join(tmpdir(), 'pgfleet-bench-secure-multihost-'));
  await chmod(parent, 0o755);
  const dir = join(parent, 'lab');
  try {
    const lab = await multiHostLabUp({ hosts: hostCount, clusters, nodes: 2, etcdMembers: 3, dir, timeoutMs: 600_000 });
    const state = lab.state;
    const memberHosts = (state.topology.hosts ?? [])
      .map((host) => host.name)
      .filter((host) => processesOnHost(state.topology, host).nodes.length > 0);
    let signalReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (signalReady = resolve));
    const watch = startLabAgent(
      state,
      'coordinator',
      { task: 'watch', dir, view: 'coordinator', writers: true, intervalMs: 1_000 },
      (event) => {
        if (event.event === 'ready') signalReady();
      },
    );
    watch.result.then(signalReady, signalReady);
    await ready;
    // Writers connected and writing before the clock starts.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const loadBefore = loadAverage();
    const started = performance.now();
    let ok = true;
    let note = '';
    const phases: string[] = [];
    const timed = async (phase: string, work: () => Promise<unknown>): Promise<void> => {
      const phaseStarted = performance.now();
      await work();
      phases.push(`${phase} ${((performance.now() - phaseStarted) / 1000).toFixed(1)} s`);
    };
    try {
      await timed('prepare', () => onHost(state, 'coordinator', ['etcd', 'auth', 'prepare']));
      await timed('hand-over + apply', () =>
        Promise.all(
          memberHosts.map(async (host) => {
            await handOverTenantCredentials(state, host);
            await onHost(state, host, ['etcd', 'auth', 'apply', '--host-only']);
          }),
        ),
      );
      await timed('enforce', () => onHost(state, 'coordinator', ['etcd', 'auth', 'enforce']));
      note = phases.join(', ');
    } catch (error) {
      ok = false;
      note = error instanceof Error ? error.message.split('\n')[0]!.slice(0, 120) : String(error);
    }
    const wallMs = performance.now() - started;
    watch.send('stop');
    const report = (await watch.result) as FleetWatchReport;
    const roles = roleChanges(report.samples);
    return {
      clusters,
      way: 'multihost',
      wallMs,
      ok,
      writes: report.writers.reduce((sum, tally) => sum + tally.ok + tally.failed, 0),
      failedWrites: report.writers.reduce((sum, tally) => sum + tally.failed, 0),
      leaderChanges: roles.leaderChanges.length,
      demotions: roles.demotions.length,
      longestOutageMs: Math.max(0, ...report.writers.map((tally) => tally.longestOutageMs)),
      labUpMs: lab.elapsedMs,
      labMemoryMb: Math.round(lab.memory.bytes / 1048576),
      load: `${loadBefore} → ${loadAverage()}`,
      note,
    };
  } finally {
    await labDown(dir).catch(() => undefined);
    await rm(parent, { recursive: true, force: true });
  }
}

/**
 * `pgfleet ARGS` run on a host of the lab as its operator would run it there:
 * the built CLI started inside the host's namespace with the host's
 * environment (what `pgfleet lab exec` does, without its own start-up on
 * the clock). Throws with its error line.
 */
async function onHost(state: LabState, host: string, command: string[]): Promise<void> {
  const launch = inNamespace(labHostNamespace(state, host), process.execPath, [CLI_PATH, ...command]);
  try {
    await promisify(execFile)(launch.command, launch.args, {
      env: { ...labHostProcessEnvironment(state, host), NO_COLOR: '1' },
      timeout: 300_000,
    });
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr ?? '';
    throw new Error(
      `${command.join(' ')} on ${host} failed: ${stderr.split('\n').find((line) => line.startsWith('error:')) ?? stderr.slice(-200)}`,
    );
  }
}

/** The JSON report enforce kept in the lab's report directory (the newest one). */
async function latestEnforceReport(dir: string): Promise<EnforceReportFile | undefined> {
  const files = (await readdir(dir, { recursive: true }))
    .filter((file) => /etcd-auth-enforce-.*\.json$/.test(file))
    .sort();
  const newest = files.at(-1);
  return newest ? (JSON.parse(await readFile(join(dir, newest), 'utf8')) as EnforceReportFile) : undefined;
}

interface CpuSample {
  at: number;
  seconds: number;
}

/** etcd's CPU time (all members), every 200 ms, with the wall clock: the herd's cost is read from it afterwards. */
function sampleEtcdCpu(pids: number[]): { stop: () => Promise<CpuSample[]> } {
  const samples: CpuSample[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const seconds = (await Promise.all(pids.map((pid) => processCpuSeconds(pid)))).reduce<number>(
        (sum, value) => sum + (value ?? 0),
        0,
      );
      samples.push({ at: Date.now(), seconds });
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return samples;
    },
  };
}

function cpuAt(samples: CpuSample[], at: number): number {
  const after = samples.find((sample) => sample.at >= at);
  return (after ?? samples.at(-1))?.seconds ?? 0;
}

function phasesOf(report: EnforceReportFile, cpu: CpuSample[]): Partial<Row> {
  const windows = report.pauseWindows ?? [];
  const ms = (step: string): number => report.timings?.find((t) => t.step === step)?.ms ?? 0;
  const enabledAt = report.state.enabledAt ? Date.parse(report.state.enabledAt) : undefined;
  return {
    timings: report.timings,
    pause: { ...summarizePauseWindows(windows), clusters: windows.length },
    exposureWindowMs: report.state.exposureWindowMs,
    etcdCpuDuringEnableS:
      enabledAt === undefined ? undefined : cpuAt(cpu, enabledAt + ms('enable') + ms('probes')) - cpuAt(cpu, enabledAt),
  };
}

/** The rollback drill: prepare and apply for every member, then one member's credentials go from its YAML (reloaded). */
async function withoutCredentialsOnOneMember(dir: string, lab: LabUpResult): Promise<void> {
  const env = { ...process.env, ...(await labEnv(dir)), NO_COLOR: '1' };
  for (const step of ['prepare', 'apply']) {
    await promisify(execFile)(process.execPath, [CLI_PATH, 'etcd', 'auth', step], { env, timeout: 600_000 });
  }
  const topology = lab.state.topology;
  const victim = topology.clusters.at(-1)!.nodes.at(-1)!;
  const paths = resolveSitePaths(labSiteSettings(dir, topology).settings, {
    isRoot: process.getuid?.() === 0,
    home: '/',
    env: {},
  });
  const instance = (await listLocalInstances(paths.patroniConfigDir)).find((i) => i.node === victim.name)!;
  const config = parseYaml(await readFile(instance.configFile, 'utf8')) as Record<string, Record<string, unknown>>;
  for (const section of ['etcd3', 'etcd']) {
    delete config[section]?.username;
    delete config[section]?.password;
  }
  await writeFile(instance.configFile, stringifyYaml(config));
  const { client } = await labNodeRestClient(dir, topology, victim, 5_000);
  try {
    await client.reload();
  } finally {
    await client.close();
  }
  // POST /reload is asynchronous (202): give its HA loop time to re-read the file.
  await new Promise((resolve) => setTimeout(resolve, 5_000));
  console.log(`  drill: ${victim.name} has no etcd credentials any more (reloaded)`);
}
