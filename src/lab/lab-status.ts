import { COORDINATOR_HOST, cutPeers, isMultiHost } from '../core/lab/multihost-topology.js';
import { EtcdClient } from '../adapters/etcd/etcd-client.js';
import { isRunning } from '../adapters/process/daemon.js';
import { runLabAgent } from './lab-agent.js';
import { labHostOfThisProcess } from './lab-network.js';
import { labNodeRestClient } from './lab-rest-client.js';
import { currentLabProcesses } from './lab-processes.js';
import { labStateSettings } from './lab-settings.js';
import { loadLabState } from './lab-state.js';

export interface LabEtcdMemberStatus {
  name: string;
  /** The host it runs on (a multi-host lab). */
  host?: string;
  endpoint: string;
  running: boolean;
  healthy: boolean;
  leader: boolean;
  version?: string;
}

export interface LabNodeStatus {
  name: string;
  /** The host it runs on (a multi-host lab). */
  host?: string;
  restUrl: string;
  pgPort: number;
  running: boolean;
  role?: string;
  state?: string;
  timeline?: number;
  /** Replication lag in bytes, as GET /cluster reports it. */
  lag?: number | string;
  error?: string;
}

/** A host of a multi-host lab: its address, namespace, and the hosts it is cut from (`lab partition`). */
export interface LabHostStatus {
  name: string;
  role: 'coordinator' | 'member';
  address: string;
  namespace: string;
  cutFrom: string[];
}

export interface LabStatus {
  dir: string;
  id: string;
  phase: string;
  /** The hosts of a multi-host lab (absent on a one-host lab). */
  hosts?: LabHostStatus[];
  etcd: LabEtcdMemberStatus[];
  clusters: Array<{ scope: string; leader?: string; nodes: LabNodeStatus[] }>;
}

/**
 * A live look at a lab: etcd members (health, leader) and each cluster's
 * members. A multi-host lab is looked at from its coordinator host (from
 * here when this process runs on one of its hosts, through a lab agent
 * otherwise): its addresses exist only inside its namespaces.
 */
export async function labStatus(dir: string): Promise<LabStatus> {
  const state = await loadLabState(dir);
  if (isMultiHost(state.topology) && !(await labHostOfThisProcess(state)))
    return runLabAgent<LabStatus>(state, COORDINATOR_HOST, { task: 'status', dir });
  return labStatusFromHere(dir);
}

/** labStatus, asked from where this process runs. */
export async function labStatusFromHere(dir: string): Promise<LabStatus> {
  const state = await loadLabState(dir);
  const topology = state.topology;
  const processByName = new Map((await currentLabProcesses(state)).map((process) => [process.name, process]));
  // The lab's settings say how pgfleet reaches its etcd (http, or https with the client certificate).
  const etcdSettings = labStateSettings(state).patroni!.etcd;
  const endpoints = etcdSettings.hosts.map((host) => `${etcdSettings.protocol}://${host}`);
  const tls = { cacert: etcdSettings.cacert, cert: etcdSettings.cert, key: etcdSettings.key };

  const etcd = await Promise.all(
    topology.etcd.map(async (member, index): Promise<LabEtcdMemberStatus> => {
      const endpoint = endpoints[index]!;
      const process = processByName.get(member.name);
      const client = new EtcdClient({ endpoints: [endpoint], tls, timeoutMs: 1_500 });
      try {
        const status = await client.status(endpoint);
        return {
          name: member.name,
          ...(member.host ? { host: member.host } : {}),
          endpoint,
          running: process ? isRunning(process) : false,
          healthy: true,
          leader: status.leader === status.memberId,
          version: status.version,
        };
      } catch {
        return {
          name: member.name,
          ...(member.host ? { host: member.host } : {}),
          endpoint,
          running: process ? isRunning(process) : false,
          healthy: false,
          leader: false,
        };
      } finally {
        await client.close();
      }
    }),
  );

  const clusters = await Promise.all(
    topology.clusters.map(async (cluster) => {
      const nodes = await Promise.all(
        cluster.nodes.map(async (node): Promise<LabNodeStatus> => {
          // Through the credentials of the node's YAML, as patronictl: the lab's status works once its REST API is protected.
          const { client, url: restUrl } = await labNodeRestClient(state.dir, topology, node, 2_000);
          const process = processByName.get(node.name);
          const base = {
            name: node.name,
            ...(node.host ? { host: node.host } : {}),
            restUrl,
            pgPort: node.pgPort,
            running: process ? isRunning(process) : false,
          };
          try {
            const status = await client.nodeStatus();
            const clusterView = await client.cluster().catch(() => undefined);
            const lag = clusterView?.members.find((member) => member.name === node.name)?.lag;
            return {
              ...base,
              role: status.role,
              state: status.state,
              ...(status.timeline === undefined ? {} : { timeline: status.timeline }),
              ...(lag === undefined ? {} : { lag }),
            };
          } catch (error) {
            return { ...base, error: error instanceof Error ? error.message : String(error) };
          } finally {
            await client.close();
          }
        }),
      );
      const leader = nodes.find((node) => node.role === 'master' || node.role === 'primary')?.name;
      return { scope: cluster.scope, ...(leader ? { leader } : {}), nodes };
    }),
  );
  const hosts = state.network?.hosts.map((host): LabHostStatus => ({
    name: host.name,
    role: host.name === COORDINATOR_HOST ? 'coordinator' : 'member',
    address: host.address,
    namespace: host.namespace,
    cutFrom: cutPeers(state.cuts ?? [], host.name),
  }));
  return { dir: state.dir, id: state.id, phase: state.phase, ...(hosts ? { hosts } : {}), etcd, clusters };
}
