import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { instanceLayout } from '../core/instance/instance-layout.js';
import { withLabDcsSection } from '../core/lab/lab-etcd-api.js';
import { labAddressOf } from '../core/lab/lab-topology.js';
import { processesOnHost } from '../core/lab/multihost-topology.js';
import { buildPatroniConfig } from '../core/patroni-config/build-config.js';
import { resolveSitePaths } from '../core/settings/site-paths.js';
import { ensureDirectory, type FileOwner } from '../adapters/fs/atomic-file.js';
import { writePatroniConfigFile } from '../adapters/patroni/config-file.js';
import { isRoot, serviceUser } from '../adapters/process/os-user.js';
import { startPatroni } from '../node/patroni-process.js';
import { type EtcdClusterSpec, startEtcdMembers, waitForEtcdHealthy } from './etcd-cluster.js';
import type { ClusterReadiness } from './fleet-readiness.js';
import { labHostNamespace } from './lab-network.js';
import { ensureClusterRoles } from './lab-secrets.js';
import { labHostDir, labNodeInstanceLayout, labSiteSettings } from './lab-settings.js';
import { loadLabState, saveLabState } from './lab-state.js';
import { LAB_PATRONI_TEMPLATE } from './lab-template.js';
import {
  BINARIES,
  detectPatroniFeatures,
  labInstanceSpec,
  prepareInstance,
  prepareInstanceDirectories,
  waitForFleetReady,
} from './lab-up.js';

/**
 * The fleet of a multi-host lab, started by the lab's control process on the
 * coordinator host (the only place from which every host's address is
 * reachable): each etcd member and each Patroni runs in its own host's
 * namespace (Patroni as `postgres`), reads its host's files, and listens on
 * its host's address. Every process is recorded in the lab's state as soon
 * as it starts. Returns once every cluster has a leader and streaming
 * replicas.
 */
export async function startMultiHostFleet(
  dir: string,
  options: {
    timeoutMs: number;
    etcdAuthToken?: string | undefined;
    onProgress: (message: string, transient: boolean) => void;
    signal: AbortSignal;
  },
): Promise<ClusterReadiness[]> {
  const started = Date.now();
  const progress = options.onProgress;
  const state = await loadLabState(dir);
  const topology = state.topology;
  const runAs = serviceUser();
  const owner: FileOwner | undefined = runAs ? { uid: runAs.uid, gid: runAs.gid } : undefined;
  const interruption = (): Error => new Error('interrupted');
  const checkpoint = (): void => {
    if (options.signal.aborted) throw interruption();
  };

  progress(
    `starting etcd: ${topology.etcd.map((member) => `${member.name} on ${member.host} (${member.address})`).join(', ')}`,
    false,
  );
  const spec: EtcdClusterSpec = {
    members: topology.etcd,
    host: topology.host,
    dir: join(dir, 'hosts'),
    memberDir: (member) => join(labHostDir(dir, member.host!), 'etcd', member.name),
    netnsOf: (member) => labHostNamespace(state, member.host!),
    clusterToken: `pgfleet-lab-${state.id}`,
    authToken: options.etcdAuthToken,
    clientSchemes: ['http'],
    enableV2: state.etcdApi === 'v2',
  };
  const members = await startEtcdMembers(spec, async (member) => {
    const host = topology.etcd.find((candidate) => candidate.name === member.name)!.host;
    state.processes.push({ kind: 'etcd', name: member.name, host, ...member.process });
    await saveLabState(state);
    checkpoint();
  });
  await waitForEtcdHealthy(members, Math.min(60_000, options.timeoutMs));
  checkpoint();

  const features = await detectPatroniFeatures(BINARIES.patroni);
  const template = parseYaml(LAB_PATRONI_TEMPLATE) as Record<string, unknown>;
  const hosts = (topology.hosts ?? []).filter((host) => processesOnHost(topology, host.name).nodes.length > 0);
  progress(
    `writing the Patroni configuration of every node on its host (checked by patroni --validate-config): ${hosts
      .map(
        (host) =>
          `${host.name}: ${processesOnHost(topology, host.name)
            .nodes.map((node) => node.name)
            .join(', ')}`,
      )
      .join('; ')}`,
    false,
  );
  for (const host of hosts) {
    const { settings } = labSiteSettings(labHostDir(dir, host.name), topology);
    const paths = resolveSitePaths(settings, { isRoot: isRoot(), home: runAs?.home ?? '/', env: {} });
    await prepareInstanceDirectories(paths, owner);
    await Promise.all(
      processesOnHost(topology, host.name).nodes.map(async (node) => {
        const layout = instanceLayout(paths, node.name);
        await prepareInstance(layout, owner);
        // The host's own copy of the cluster's role passwords (provisioned with its files).
        const roles = await ensureClusterRoles(labHostDir(dir, host.name), node.scope);
        const config = withLabDcsSection(
          buildPatroniConfig({
            settings: settings.patroni!,
            instance: labInstanceSpec(node, layout, settings, roles, labAddressOf(topology, node)),
            template,
            features,
          }),
          state.etcdApi ?? 'v3',
        );
        await writePatroniConfigFile(layout.configFile, config, {
          owner,
          validation: {
            execpath: settings.patroni!.execpath,
            enforce: settings.patroni!.enforce_config_validation,
          },
        });
      }),
    );
  }
  checkpoint();

  for (const cluster of topology.clusters) {
    progress(
      `starting cluster ${cluster.scope}: ${cluster.nodes.map((node) => `${node.name} on ${node.host}`).join(', ')}`,
      false,
    );
    for (const node of cluster.nodes) {
      const handle = await startPatroni(labNodeInstanceLayout(dir, topology, node.name), {
        patroniBinary: BINARIES.patroni,
        runAs,
        netns: labHostNamespace(state, node.host!),
      });
      state.processes.push({ kind: 'patroni', name: node.name, host: node.host, ...handle });
      await saveLabState(state);
      checkpoint();
    }
  }
  return waitForFleetReady(
    state,
    (node) => labNodeInstanceLayout(dir, topology, node).logFile,
    started,
    started + options.timeoutMs,
    progress,
    options.signal,
    interruption,
  );
}

/** Directories of the hosts' prefixes, reachable by the user Patroni runs as. */
export async function ensureLabHostDirs(dir: string, hosts: readonly string[]): Promise<void> {
  await ensureDirectory(join(dir, 'hosts'), 0o755);
  for (const host of hosts) await ensureDirectory(labHostDir(dir, host), 0o755);
}
