import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ExitCode, PgfleetError } from '../core/errors.js';
import { defaultPgHba } from '../core/instance/default-pg-hba.js';
import { instanceLayout, type InstanceLayout } from '../core/instance/instance-layout.js';
import { type LabEtcdApi, withLabDcsSection } from '../core/lab/lab-etcd-api.js';
import { type LabEtcdTls, labEtcdClientSchemes, labNodeScheme, labSettingsScheme } from '../core/lab/lab-etcd-tls.js';
import {
  type LabCluster,
  type LabNode,
  type LabTopology,
  type LabTopologyInput,
  labEtcdEndpoints,
  planLabTopology,
} from '../core/lab/lab-topology.js';
import { buildPatroniConfig } from '../core/patroni-config/build-config.js';
import type { InstanceSpec } from '../core/patroni-config/instance-spec.js';
import { parsePatroniVersion, patroniFeatures, type PatroniFeatures } from '../core/patroni-config/patroni-features.js';
import { resolveSitePaths, type SitePaths } from '../core/settings/site-paths.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { parse as parseYaml } from 'yaml';
import { ensureDirectory, writeFileAtomic, type FileOwner } from '../adapters/fs/atomic-file.js';
import { firstUntraversableAncestor } from '../adapters/fs/path-access.js';
import { isRunning, stopProcess } from '../adapters/process/daemon.js';
import { isRoot, serviceUser, type OsUser } from '../adapters/process/os-user.js';
import { takenPorts } from '../adapters/process/port-probe.js';
import type { PatroniRestClient } from '../adapters/patroni/rest-client.js';
import { EtcdClient } from '../adapters/etcd/etcd-client.js';
import type { EtcdTlsFiles } from '../adapters/etcd/gateway-transport.js';
import { writePatroniConfigFile } from '../adapters/patroni/config-file.js';
import { startPatroni, stopOrphanedPostmaster, tailFile } from '../node/patroni-process.js';
import { type EtcdClusterSpec, startEtcdMembers, waitForEtcdHealthy } from './etcd-cluster.js';
import { currentLabProcesses } from './lab-processes.js';
import { issueLabEtcdCertificates, labEtcdMemberCertificate, labEtcdTlsPaths } from './lab-etcd-pki.js';
import { clusterReadiness, laggingNode, type ClusterReadiness } from './fleet-readiness.js';
import { labNodeRestClient } from './lab-rest-client.js';
import { ensureClusterRoles, ensureEtcdRootPassword } from './lab-secrets.js';
import { LAB_SETTINGS_FILE, LAB_TEMPLATE_FILE, labNodeInstanceLayout, labSiteSettings } from './lab-settings.js';
import { type LabState, LAB_STATE_FILE, defaultLabDir, newLabState, saveLabState } from './lab-state.js';
import { LAB_PATRONI_TEMPLATE } from './lab-template.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpus, freemem } from 'node:os';
import { mapWithConcurrency } from '../core/bounded-concurrency.js';
import { checkLabMemory, labStartConcurrency, labStartTimeoutMs } from '../core/lab/lab-capacity.js';
import { labResidentMemory } from './lab-memory.js';

export interface LabUpOptions extends LabTopologyInput {
  /** Hosts of a multi-host lab (multiHostLabUp); absent: everything on one host, 127.0.0.1. */
  hosts?: number | undefined;
  dir?: string | undefined;
  /** Hard limit for the whole start-up (default: labStartTimeoutMs of the lab's size). */
  timeoutMs?: number | undefined;
  /** Clusters bootstrapping at once (default: labStartConcurrency of this machine's cores). */
  startConcurrency?: number | undefined;
  /** etcd --auth-token (default simple). */
  etcdAuthToken?: string | undefined;
  /** etcd --bcrypt-cost (default etcd's, 10), for benchmarks of the authentication herd. */
  etcdBcryptCost?: number | undefined;
  /** etcd over TLS: https only, or http and https side by side (nodes start on http). Default off. */
  etcdTls?: LabEtcdTls | undefined;
  /** The etcd API the nodes use: v2 serves --enable-v2 and starts the nodes on Patroni's `etcd:` section. Default v3. */
  etcdApi?: LabEtcdApi | undefined;
  onProgress?: ((message: string, transient: boolean) => void) | undefined;
  /**
   * Aborted on Ctrl-C (SIGINT/SIGTERM): every process started so far is
   * stopped, the lab directory is removed, and LAB_UP_INTERRUPTED (exit 130)
   * is thrown.
   */
  signal?: AbortSignal | undefined;
}

export interface LabUpResult {
  state: LabState;
  readiness: ClusterReadiness[];
  elapsedMs: number;
  /** Memory of the lab's processes once ready (proportional set size: shared pages count once). */
  memory: { bytes: number; processes: number };
}

export const BINARIES = { etcd: '/usr/bin/etcd', patroni: '/usr/bin/patroni' };

/**
 * Starts a real lab: a K-member etcd and N Patroni clusters of M nodes with
 * PostgreSQL, all on 127.0.0.1. Returns once every cluster has a leader and
 * every replica streams. Input is checked before anything is created.
 * A start that fails stops what it started and keeps the directory (its logs
 * say why); an interrupted one (options.signal) stops what it started and
 * removes the directory.
 */
export async function labUp(options: LabUpOptions): Promise<LabUpResult> {
  const started = Date.now();
  const progress = options.onProgress ?? (() => undefined);
  const topology = planLabTopology(options);
  const timeoutMs = options.timeoutMs ?? labStartTimeoutMs(topology);
  const dir = options.dir ?? defaultLabDir();
  const signal = options.signal;
  const interruption = (): PgfleetError =>
    new PgfleetError(
      'LAB_UP_INTERRUPTED',
      `lab up interrupted: every process it had started is stopped and ${dir} is removed`,
      {
        hint: 'run `pgfleet lab up` again to start a lab',
        exitCode: ExitCode.interrupted,
      },
    );
  const checkpoint = (): void => {
    if (signal?.aborted) throw interruption();
  };

  checkLabMemory(topology, freemem());
  await checkLabDirUsable(dir);
  const busy = await takenPorts(topology.ports, topology.host);
  if (busy.length > 0) {
    throw new PgfleetError(
      'LAB_PORTS_TAKEN',
      `ports ${formatPorts(busy)} in the lab's range ${topology.basePort}-${topology.ports.at(-1)} are already in use`,
      {
        hint: 'choose another --base-port (or stop what listens there)',
      },
    );
  }
  await checkBinaries();
  const runAs = serviceUser();
  if (runAs) await checkReachableBy(dir, runAs);
  const owner: FileOwner | undefined = runAs ? { uid: runAs.uid, gid: runAs.gid } : undefined;
  const features = await detectPatroniFeatures(BINARIES.patroni);

  // Interrupted during the checks: nothing exists yet, nothing to undo.
  if (signal?.aborted)
    throw new PgfleetError('LAB_UP_INTERRUPTED', 'lab up interrupted before it started anything', {
      exitCode: ExitCode.interrupted,
    });

  // From here on the lab exists: every process is recorded as soon as it starts.
  await ensureDirectory(dir, 0o755);
  const etcdTls = options.etcdTls ?? 'off';
  const { settings, yaml } = labSiteSettings(dir, topology, labSettingsScheme(etcdTls));
  // In dual mode the nodes start on http, as a fleet does before `pgfleet etcd tls migrate`.
  const nodeSettings = labSiteSettings(dir, topology, labNodeScheme(etcdTls)).settings;
  const state = newLabState({
    id: randomBytes(4).toString('hex'),
    dir,
    topology,
    settingsFile: join(dir, LAB_SETTINGS_FILE),
    etcdTls,
    ...(options.etcdApi === 'v2' ? { etcdApi: 'v2' as const } : {}),
  });
  await saveLabState(state);
  try {
    await writeFileAtomic(join(dir, LAB_SETTINGS_FILE), yaml, { mode: 0o644 });
    await writeFileAtomic(join(dir, LAB_TEMPLATE_FILE), LAB_PATRONI_TEMPLATE, { mode: 0o644 });
    await ensureEtcdRootPassword(dir);
    if (etcdTls !== 'off') {
      progress('issuing the etcd certificates (pgfleet pki): a CA, one per etcd member, one client', false);
      await issueLabEtcdCertificates(dir, topology, owner);
    }
    checkpoint();

    progress(
      `starting etcd: ${topology.etcd.length} member(s)${etcdTls === 'off' ? '' : etcdTls === 'dual' ? ' on http and https' : ' on https'}`,
      false,
    );
    await ensureDirectory(join(dir, 'etcd'), 0o700);
    const etcdSpec = { ...labEtcdClusterSpec(state, options.etcdAuthToken), bcryptCost: options.etcdBcryptCost };
    const members = await startEtcdMembers(etcdSpec, async (member) => {
      state.processes.push({ kind: 'etcd', name: member.name, ...member.process });
      await saveLabState(state);
      // Recorded first, so the stop below finds it; throwing here starts no further member.
      checkpoint();
    });
    await unlessInterrupted(waitForEtcdHealthy(members, Math.min(30_000, timeoutMs)), signal, interruption);
    if (etcdTls !== 'off') await checkEtcdTlsGateway(topology, labEtcdTlsPaths(dir).client);
    checkpoint();

    const paths = resolveSitePaths(settings, {
      isRoot: isRoot(),
      home: runAs?.home ?? process.env.HOME ?? '/',
      env: {},
    });
    await prepareInstanceDirectories(paths, owner);
    const template = parseYaml(LAB_PATRONI_TEMPLATE) as Record<string, unknown>;
    // Every node's YAML first, through the same writer as `instance create` (checked by `patroni --validate-config`,
    // which the lab settings enforce), all at once: a bad one fails the start before any Patroni runs.
    const patroni = nodeSettings.patroni!;
    progress(
      `writing ${topology.clusters.reduce((sum, cluster) => sum + cluster.nodes.length, 0)} Patroni configurations (checked by patroni --validate-config)`,
      false,
    );
    await Promise.all(
      topology.clusters.map(async (cluster) => {
        const roles = await ensureClusterRoles(dir, cluster.scope);
        await Promise.all(
          cluster.nodes.map(async (node) => {
            const layout = instanceLayout(paths, node.name);
            await prepareInstance(layout, owner);
            const config = withLabDcsSection(
              buildPatroniConfig({
                settings: patroni,
                instance: labInstanceSpec(node, layout, settings, roles),
                template,
                features,
              }),
              options.etcdApi ?? 'v3',
            );
            await writePatroniConfigFile(layout.configFile, config, {
              owner,
              validation: { execpath: patroni.execpath, enforce: patroni.enforce_config_validation },
            });
          }),
        );
      }),
    );
    checkpoint();
    // Paced: a few clusters bootstrap at once, the next one starts when one is ready (see labStartConcurrency).
    const concurrency = options.startConcurrency ?? labStartConcurrency(cpus().length);
    await mapWithConcurrency(topology.clusters, concurrency, async (cluster) => {
      progress(`starting cluster ${cluster.scope}: ${cluster.nodes.length} node(s)`, false);
      for (const node of cluster.nodes) {
        const layout = instanceLayout(paths, node.name);
        const handle = await startPatroni(layout, { patroniBinary: BINARIES.patroni, runAs });
        state.processes.push({ kind: 'patroni', name: node.name, ...handle });
        await saveLabState(state);
        checkpoint();
      }
      if (topology.clusters.length > concurrency)
        await waitForFleetReady(
          state,
          (node) => instanceLayout(paths, node).logFile,
          started,
          started + timeoutMs,
          () => undefined,
          signal,
          interruption,
          [cluster],
        );
    });

    const readiness = await waitForFleetReady(
      state,
      (node) => instanceLayout(paths, node).logFile,
      started,
      started + timeoutMs,
      progress,
      signal,
      interruption,
    );
    checkpoint();
    state.phase = 'ready';
    await saveLabState(state);
    const elapsedMs = Date.now() - started;
    return { state, readiness, elapsedMs, memory: await labResidentMemory(state) };
  } catch (error) {
    state.phase = 'failed';
    await saveLabState(state).catch(() => undefined);
    if (!signal?.aborted) {
      await stopLabProcesses(state).catch(() => undefined);
      throw error;
    }
    // Interrupted: whatever the step was doing, undo the whole start, as `lab down` would.
    progress(
      `interrupted: stopping the ${state.processes.length} process(es) started so far and removing ${dir}`,
      false,
    );
    await stopLabProcesses(state).catch(() => undefined);
    const survivors = (await currentLabProcesses(state)).filter((process) => isRunning(process));
    if (survivors.length > 0) {
      throw new PgfleetError(
        'LAB_UP_INTERRUPTED',
        `lab up interrupted, but ${survivors.map((p) => `${p.name} (pid ${p.pid})`).join(', ')} could not be stopped`,
        {
          hint: `kill them by hand, then run \`pgfleet lab down --dir ${dir}\``,
          exitCode: ExitCode.interrupted,
        },
      );
    }
    await rm(dir, { recursive: true, force: true });
    throw interruption();
  }
}

/**
 * Waits for `work` unless the signal fires first: then rejects with
 * `interruption()` at once. `work` goes on by itself (a health poll that ends
 * when the processes it watches are stopped); its outcome is ignored.
 */
export function unlessInterrupted<T>(
  work: Promise<T>,
  signal: AbortSignal | undefined,
  interruption: () => Error,
): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(interruption());
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

export function labInstanceSpec(
  node: LabNode,
  layout: InstanceLayout,
  settings: SiteSettings,
  roles: Awaited<ReturnType<typeof ensureClusterRoles>>,
  address = '127.0.0.1',
): InstanceSpec {
  return {
    name: node.name,
    scope: node.scope,
    node: node.name,
    postgresql: {
      port: node.pgPort,
      listenHost: address,
      connectHost: address,
      dataDir: layout.dataDir,
      binDir: settings.postgresql.bin_dir,
      socketDir: layout.socketDir,
      pgpass: layout.pgpass,
      parameters: {},
      pgHba: defaultPgHba({ replication: roles.replication.username }),
    },
    restapi: { listen: `${address}:${node.restPort}`, connectAddress: `${address}:${node.restPort}` },
    superuser: roles.superuser,
    replication: roles.replication,
    rewind: roles.rewind,
  };
}

export async function waitForFleetReady(
  state: LabState,
  logFileOf: (node: string) => string,
  startedAt: number,
  deadline: number,
  progress: (message: string, transient: boolean) => void,
  signal: AbortSignal | undefined,
  interruption: () => Error,
  clusters: LabCluster[] = state.topology.clusters,
): Promise<ClusterReadiness[]> {
  const clients = new Map<string, PatroniRestClient>();
  const clientFor = async (node: LabNode): Promise<PatroniRestClient> => {
    let client = clients.get(node.name);
    if (!client)
      clients.set(node.name, (client = (await labNodeRestClient(state.dir, state.topology, node, 2_000)).client));
    return client;
  };
  try {
    for (;;) {
      const readiness = await Promise.all(clusters.map((cluster) => clusterReadiness(cluster, clientFor)));
      if (signal?.aborted) throw interruption();
      progress(`waiting for leaders and streaming replicas: ${readiness.map(describeReadiness).join('  ')}`, true);
      if (readiness.every((cluster) => cluster.ready)) return readiness;
      const names = new Set(clusters.flatMap((cluster) => cluster.nodes.map((node) => node.name)));
      const dead = state.processes.find(
        (process) => process.kind === 'patroni' && names.has(process.name) && !isRunning(process),
      );
      if (dead || Date.now() > deadline) {
        const culprit =
          dead?.name ?? readiness.map(laggingNode).find((name) => name !== undefined) ?? clusters[0]!.nodes[0]!.name;
        const log = logFileOf(culprit);
        const tail = await tailFile(log, 8);
        throw new PgfleetError(
          dead ? 'LAB_PATRONI_EXITED' : 'LAB_START_TIMEOUT',
          dead
            ? `Patroni of node ${culprit} exited during start-up`
            : `lab not ready after ${Math.round((Date.now() - startedAt) / 1000)} s: node ${culprit} has no leader or is not streaming`,
          {
            hint: `see its log: ${log}${tail.trim() ? `\n--- last lines of ${log} ---\n${tail.trimEnd()}` : ''}`,
            exitCode: 4,
          },
        );
      }
      await sleep(500, undefined, signal ? { signal } : {}).catch(() => undefined);
      if (signal?.aborted) throw interruption();
    }
  } finally {
    await Promise.all([...clients.values()].map((client) => client.close()));
  }
}

function describeReadiness(cluster: ClusterReadiness): string {
  const leader = cluster.leader ? 'leader ✓' : 'leader …';
  return `${cluster.scope}: ${leader} ${cluster.streaming.length}/${cluster.expectedReplicas} streaming`;
}

/**
 * Stops every process of a lab: Patroni first (it stops PostgreSQL), then
 * orphaned postmasters, then etcd. A Patroni restarted since `lab up` (by
 * `etcd tls migrate`) is found through its instance's pid file.
 */
/** How long a lab's etcd member gets to stop on SIGTERM before SIGKILL. */
const ETCD_STOP_GRACE_MS = 2_000;

export async function stopLabProcesses(state: LabState, graceMs = 30_000): Promise<void> {
  const processes = await currentLabProcesses(state);
  const patronis = processes.filter((process) => process.kind === 'patroni');
  await Promise.all(patronis.map((process) => stopProcess(process, { signal: 'SIGTERM', graceMs })));
  await Promise.all(
    state.topology.clusters.flatMap((cluster) =>
      cluster.nodes.map((node) =>
        stopOrphanedPostmaster(labNodeInstanceLayout(state.dir, state.topology, node.name).dataDir),
      ),
    ),
  );
  const etcds = state.processes.filter((process) => process.kind === 'etcd');
  // Stopped together, the etcd leader first tries to hand leadership to a member that is stopping too, and waits
  // out the request timeout (about 7 s) before it gives up: a short grace, then SIGKILL, for data that goes away with the lab.
  await Promise.all(etcds.map((process) => stopProcess(process, { signal: 'SIGTERM', graceMs: ETCD_STOP_GRACE_MS })));
}

export async function prepareInstanceDirectories(paths: SitePaths, owner: FileOwner | undefined): Promise<void> {
  for (const directory of [paths.patroniConfigDir, paths.patroniLogDir, paths.dataDir, paths.runDir]) {
    await ensureDirectory(directory, 0o750, owner);
  }
}

export async function prepareInstance(layout: InstanceLayout, owner: FileOwner | undefined): Promise<void> {
  await ensureDirectory(layout.instanceDir, 0o700, owner);
  await ensureDirectory(layout.socketDir, 0o750, owner);
}

export async function checkLabDirUsable(dir: string): Promise<void> {
  const info = await stat(dir).catch(() => undefined);
  if (!info) return;
  if (!info.isDirectory())
    throw new PgfleetError('LAB_DIR_INVALID', `${dir} exists and is not a directory`, { hint: 'choose another --dir' });
  const entries = await readdir(dir);
  if (entries.includes(LAB_STATE_FILE)) {
    throw new PgfleetError('LAB_EXISTS', `a lab already exists in ${dir}`, {
      hint: `see it with \`pgfleet lab status --dir ${dir}\`, or remove it with \`pgfleet lab down --dir ${dir}\``,
    });
  }
  if (entries.length > 0) {
    throw new PgfleetError('LAB_DIR_NOT_A_LAB', `${dir} exists, is not empty and is not a pgfleet lab`, {
      hint: 'choose another --dir; pgfleet never writes into a directory it did not create',
    });
  }
}

/** Patroni runs as another user (postgres): every existing ancestor of the lab must let it through. */
export async function checkReachableBy(dir: string, user: OsUser): Promise<void> {
  const blocking = await firstUntraversableAncestor(dir, user);
  if (blocking) {
    throw new PgfleetError(
      'LAB_DIR_UNREACHABLE',
      `the ${user.name} user that runs Patroni cannot reach ${dir}: ${blocking.path} has mode ${blocking.mode.toString(8).padStart(4, '0')}`,
      {
        hint: `choose a --dir it can reach (e.g. under /var/lib or /tmp), or chmod o+x ${blocking.path}`,
      },
    );
  }
}

export async function checkBinaries(): Promise<void> {
  for (const binary of [BINARIES.etcd, BINARIES.patroni, '/usr/lib/postgresql/15/bin/postgres']) {
    await access(binary).catch(() => {
      throw new PgfleetError('LAB_BINARY_MISSING', `${binary} not found`, {
        hint: 'install the stack: bash scripts/setup.sh (or apt-get install -y etcd-server etcd-client patroni postgresql)',
      });
    });
  }
}

export async function detectPatroniFeatures(binary: string): Promise<PatroniFeatures> {
  const { stdout } = await promisify(execFile)(binary, ['--version']);
  return patroniFeatures(parsePatroniVersion(stdout));
}

/** How the lab's etcd members run: listeners for its TLS mode, and their certificates. */
export function labEtcdClusterSpec(
  state: Pick<LabState, 'dir' | 'topology' | 'id' | 'etcdTls' | 'etcdApi'>,
  authToken?: string,
): EtcdClusterSpec {
  const etcdTls = state.etcdTls ?? 'off';
  const tlsPaths = labEtcdTlsPaths(state.dir);
  return {
    members: state.topology.etcd,
    host: state.topology.host,
    dir: join(state.dir, 'etcd'),
    clusterToken: `pgfleet-lab-${state.id}`,
    authToken,
    clientSchemes: labEtcdClientSchemes(etcdTls),
    enableV2: state.etcdApi === 'v2',
    ...(etcdTls === 'off'
      ? {}
      : {
          tls: {
            caFile: tlsPaths.ca.certFile,
            memberCertificate: (name: string) => labEtcdMemberCertificate(state.dir, name),
            client: tlsPaths.client,
          },
        }),
  };
}

/**
 * /health over https says nothing about the JSON gateway pgfleet and Patroni
 * use; a status call through it on every member does.
 */
async function checkEtcdTlsGateway(topology: LabTopology, tls: EtcdTlsFiles): Promise<void> {
  const endpoints = labEtcdEndpoints(topology, 'https');
  const client = new EtcdClient({ endpoints, tls });
  try {
    for (const endpoint of endpoints) {
      await client.status(endpoint).catch((error: unknown) => {
        throw new PgfleetError(
          'LAB_ETCD_TLS_BROKEN',
          `etcd at ${endpoint} answers /health over https but not its v3 API: ${error instanceof Error ? error.message : String(error)}`,
          {
            hint: "the member certificate needs clientAuth as well as serverAuth (etcd's gateway dials itself with it)",
            exitCode: 4,
          },
        );
      });
    }
  } finally {
    await client.close();
  }
}

function formatPorts(ports: number[]): string {
  return ports.length > 5 ? `${ports.slice(0, 5).join(', ')} and ${ports.length - 5} more` : ports.join(', ');
}
