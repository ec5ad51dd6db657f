import { join } from 'node:path';
import { PgfleetError } from '../core/errors.js';
import { instanceLayout } from '../core/instance/instance-layout.js';
import { labEtcdEndpoints } from '../core/lab/lab-topology.js';
import { resolveSitePaths } from '../core/settings/site-paths.js';
import { stopProcess } from '../adapters/process/daemon.js';
import { takenPorts } from '../adapters/process/port-probe.js';
import { isRoot } from '../adapters/process/os-user.js';
import { type LocalInstance, readLocalInstance } from '../node/local-instances.js';
import type { FleetMember } from '../core/migration/fleet-member.js';
import { pauseClusters, resumeClusters } from '../fleet/cluster-pause.js';
import { FleetRestClients, clusterKey } from '../fleet/fleet-rest.js';
import { startEtcdMember, waitForEtcdHealthy } from './etcd-cluster.js';
import { labEtcdTlsPaths } from './lab-etcd-pki.js';
import { labStateSettings } from './lab-settings.js';
import { type LabState, loadLabState, saveLabState } from './lab-state.js';
import { labEtcdClusterSpec } from './lab-up.js';

export interface LabHttpsOnlyResult {
  dir: string;
  /** Each etcd member, in the order restarted, and how long until it was healthy again. */
  members: Array<{ name: string; healthyAfterMs: number }>;
  /** The former http client ports, now closed. */
  closedHttpPorts: number[];
}

/**
 * The last step of the TLS migration, in a lab: every etcd member is
 * restarted without its plain-http client URL, one at a time, each healthy
 * again (over https, with a leader) before the next: a 3-member etcd keeps
 * its quorum throughout. Refused while a node's YAML still says http.
 */
export async function labEtcdHttpsOnly(
  dir: string,
  options: { onProgress?: (message: string) => void } = {},
): Promise<LabHttpsOnlyResult> {
  const progress = options.onProgress ?? (() => undefined);
  const state = await loadLabState(dir);
  const mode = state.etcdTls ?? 'off';
  if (mode !== 'dual') {
    throw new PgfleetError(
      'LAB_ETCD_NOT_DUAL',
      mode === 'https'
        ? `the etcd of the lab in ${dir} already serves https only`
        : `the etcd of the lab in ${dir} has no https listener`,
      {
        hint:
          mode === 'https'
            ? 'nothing to do'
            : 'start a lab with `pgfleet lab up --etcd-tls dual` to drill the migration',
      },
    );
  }
  const paths = resolveSitePaths(labStateSettings(state), { isRoot: isRoot(), home: '/', env: {} });
  const onHttp: string[] = [];
  const instances: LocalInstance[] = [];
  for (const node of state.topology.clusters.flatMap((cluster) => cluster.nodes)) {
    const instance = await readLocalInstance(instanceLayout(paths, node.name).configFile);
    instances.push(instance);
    if ((instance.config[instance.dcsSection] as Record<string, unknown> | undefined)?.protocol !== 'https')
      onHttp.push(node.name);
  }
  if (onHttp.length > 0) {
    throw new PgfleetError(
      'LAB_ETCD_HTTP_IN_USE',
      `${onHttp.join(', ')} still reach etcd over http: removing the http listener would cut them off`,
      {
        hint: `move them first: eval "$(pgfleet lab env --dir ${dir})" && pgfleet etcd tls migrate`,
      },
    );
  }

  // Each restart makes etcd elect a leader again, and Patroni 3.0.2 demotes a primary whose leader-key update
  // fails then: the clusters stay paused (no demotion on DCS errors) while the members restart.
  const fleet = instances.map((instance): FleetMember => ({
    namespace: instance.namespace,
    scope: instance.scope,
    name: instance.node,
    apiUrl: instance.restUrl,
    role: undefined,
    managedHere: true,
  }));
  const rest = new FleetRestClients(instances);
  progress(`pause ${new Set(fleet.map(clusterKey)).size} cluster(s) while etcd members restart`);
  const { pausedByUs } = await pauseClusters(fleet, rest);
  try {
    return await restartWithoutHttp(dir, state, progress);
  } finally {
    progress(`resume ${pausedByUs.join(', ') || 'no cluster (none was paused by this step)'}`);
    await resumeClusters(pausedByUs, fleet, rest).finally(() => rest.close());
  }
}

async function restartWithoutHttp(
  dir: string,
  state: LabState,
  progress: (message: string) => void,
): Promise<LabHttpsOnlyResult> {
  const spec = labEtcdClusterSpec({ ...state, etcdTls: 'https' });
  const client = labEtcdTlsPaths(dir).client;
  const members: LabHttpsOnlyResult['members'] = [];
  for (const member of state.topology.etcd) {
    const index = state.processes.findIndex((process) => process.kind === 'etcd' && process.name === member.name);
    progress(`${member.name}: restart without its http client URL`);
    if (index >= 0) await stopProcess(state.processes[index]!, { signal: 'SIGTERM', graceMs: 10_000 });
    const started = Date.now();
    const restarted = startEtcdMember(spec, member);
    const entry = { kind: 'etcd' as const, name: member.name, ...restarted.process };
    if (index >= 0) state.processes[index] = entry;
    else state.processes.push(entry);
    await saveLabState(state);
    // Every member healthy over https (so the cluster has a leader and its quorum) before the next one goes.
    const httpsUrls = labEtcdEndpoints(state.topology, 'https');
    await waitForEtcdHealthy(
      state.topology.etcd.map((each, position) => ({
        name: each.name,
        clientUrl: httpsUrls[position]!,
        process: state.processes.find((process) => process.kind === 'etcd' && process.name === each.name)!,
        logFile: join(spec.dir, each.name, 'etcd.log'),
        tls: client,
      })),
      30_000,
    );
    members.push({ name: member.name, healthyAfterMs: Date.now() - started });
  }
  state.etcdTls = 'https';
  await saveLabState(state);
  const httpPorts = state.topology.etcd.map((member) => member.clientPort);
  const stillOpen = await takenPorts(httpPorts, state.topology.host);
  if (stillOpen.length > 0) {
    throw new PgfleetError(
      'LAB_ETCD_HTTP_STILL_OPEN',
      `something still listens on the former etcd http ports ${stillOpen.join(', ')}`,
      { hint: 'check with ss -ltnp', exitCode: 4 },
    );
  }
  return { dir, members, closedHttpPorts: httpPorts };
}
