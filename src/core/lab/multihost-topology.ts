import { PgfleetError } from '../errors.js';
import { type LabHost, type LabTopology, type LabTopologyInput, checkCount, planLabTopology } from './lab-topology.js';

/**
 * A multi-host lab: one network namespace per host, joined by a bridge in a
 * namespace of its own, one address per host in a private /24 that exists
 * only inside those namespaces. Patroni nodes and etcd members are placed on
 * the member hosts; the coordinator host runs none of them.
 */
export interface MultiHostLabInput extends LabTopologyInput {
  hosts: number;
}

export const MULTIHOST_LIMITS = { hosts: 9 } as const;
export const COORDINATOR_HOST = 'coordinator';
/** The lab's private network: used only inside the namespaces a lab creates, never on the machine's own interfaces. */
export const LAB_SUBNET = { prefix: '10.203.0.', length: 24, firstHost: 10 } as const;
/** The base port of a multi-host lab: its ports live in its own namespaces, so no free range has to be found. */
export const MULTIHOST_BASE_PORT = 15_000;

export function memberHostName(index: number): string {
  return `h${index + 1}`;
}

/**
 * Hosts, addresses and placement: node i of every cluster on host h(i+1),
 * so no cluster has two members on one host; etcd member j on host h(j+1).
 * With more hosts than nodes, the last hosts run etcd only.
 */
export function planMultiHostTopology(input: MultiHostLabInput): LabTopology {
  checkCount('--hosts', input.hosts, 2, MULTIHOST_LIMITS.hosts);
  if (input.nodes > input.hosts) {
    throw new PgfleetError(
      'LAB_BAD_INPUT',
      `--nodes ${input.nodes} needs at least ${input.nodes} hosts: no cluster may have two members on one host`,
      { hint: `use --hosts ${input.nodes} or more, or fewer --nodes` },
    );
  }
  if (input.etcdMembers > input.hosts) {
    throw new PgfleetError(
      'LAB_BAD_INPUT',
      `--etcd-members ${input.etcdMembers} needs at least ${input.etcdMembers} hosts: etcd members are spread one per host`,
      { hint: `use --hosts ${input.etcdMembers} or more, or fewer --etcd-members` },
    );
  }
  const base = planLabTopology(input);
  const hosts: LabHost[] = [
    { name: COORDINATOR_HOST, address: hostAddress(0), role: 'coordinator' },
    ...Array.from({ length: input.hosts }, (_, index) => ({
      name: memberHostName(index),
      address: hostAddress(index + 1),
      role: 'member' as const,
    })),
  ];
  const memberHost = (index: number): LabHost => hosts[1 + index]!;
  return {
    ...base,
    hosts,
    etcd: base.etcd.map((member, index) => ({
      ...member,
      host: memberHost(index).name,
      address: memberHost(index).address,
    })),
    clusters: base.clusters.map((cluster) => ({
      ...cluster,
      nodes: cluster.nodes.map((node, index) => ({
        ...node,
        host: memberHost(index).name,
        address: memberHost(index).address,
      })),
    })),
  };
}

function hostAddress(index: number): string {
  return `${LAB_SUBNET.prefix}${LAB_SUBNET.firstHost + index}`;
}

/** The hosts of a lab's topology; a one-host lab has none. */
export function labHosts(topology: Pick<LabTopology, 'hosts'>): LabHost[] {
  return topology.hosts ?? [];
}

export function isMultiHost(topology: Pick<LabTopology, 'hosts'>): boolean {
  return labHosts(topology).length > 0;
}

/** A host of the lab by name; LAB_NO_SUCH_HOST names the hosts there are. */
export function labHost(topology: Pick<LabTopology, 'hosts'>, name: string): LabHost {
  const hosts = labHosts(topology);
  const host = hosts.find((candidate) => candidate.name === name);
  if (!host) {
    throw new PgfleetError(
      'LAB_NO_SUCH_HOST',
      hosts.length === 0
        ? `this lab runs on one host: it has no host ${name}`
        : `the lab has no host ${name}: its hosts are ${hosts.map((h) => h.name).join(', ')}`,
      { hint: hosts.length === 0 ? 'start a multi-host lab with `pgfleet lab up --hosts 3`' : '' },
    );
  }
  return host;
}

/** The Patroni nodes and etcd members a host runs. */
export function processesOnHost(
  topology: LabTopology,
  host: string,
): { nodes: LabTopology['clusters'][number]['nodes']; etcd: LabTopology['etcd'] } {
  return {
    nodes: topology.clusters.flatMap((cluster) => cluster.nodes.filter((node) => node.host === host)),
    etcd: topology.etcd.filter((member) => member.host === host),
  };
}

/** Network namespaces and links of a lab: names are bound to the lab's id, so two labs never share one. */
export interface LabNetworkPlan {
  /** Every namespace name of the lab starts with this. */
  namespacePrefix: string;
  /** The namespace that holds the bridge, and nothing else. */
  bridgeNamespace: string;
  bridge: string;
  prefixLength: number;
  hosts: Array<{ name: string; address: string; namespace: string; bridgePort: string }>;
}

export function labNamespacePrefix(labId: string): string {
  return `pgfleet-${labId}-`;
}

export function planLabNetwork(labId: string, hosts: readonly LabHost[]): LabNetworkPlan {
  const prefix = labNamespacePrefix(labId);
  return {
    namespacePrefix: prefix,
    bridgeNamespace: `${prefix}switch`,
    bridge: 'br0',
    prefixLength: LAB_SUBNET.length,
    // Interface names are at most 15 characters: p-coordinator is 13.
    hosts: hosts.map((host) => ({
      name: host.name,
      address: host.address,
      namespace: `${prefix}${host.name}`,
      bridgePort: `p-${host.name}`,
    })),
  };
}

/** A cut link between two hosts, names in order: packets between them are lost both ways. */
export type LabLinkCut = readonly [string, string];

function cut(a: string, b: string): LabLinkCut {
  return a < b ? [a, b] : [b, a];
}

/**
 * The cuts after `lab partition HOST [--from PEER…]`: HOST loses its links to
 * the peers named, or to every other host. Cuts already made stay.
 */
export function partitionCuts(
  current: readonly LabLinkCut[],
  hosts: readonly LabHost[],
  host: string,
  from: readonly string[] = [],
): LabLinkCut[] {
  const names = hosts.map((candidate) => candidate.name);
  for (const name of [host, ...from]) {
    if (!names.includes(name))
      throw new PgfleetError('LAB_NO_SUCH_HOST', `the lab has no host ${name}: its hosts are ${names.join(', ')}`);
  }
  if (from.includes(host))
    throw new PgfleetError('LAB_BAD_INPUT', `a host cannot be partitioned from itself (${host})`);
  const peers = from.length > 0 ? from : names.filter((name) => name !== host);
  return normalizedCuts([...current, ...peers.map((peer) => cut(host, peer))]);
}

/** The cuts after `lab heal HOST`: every link of HOST restored; cuts between other hosts stay. */
export function healCuts(current: readonly LabLinkCut[], host: string): LabLinkCut[] {
  return normalizedCuts(current.filter(([a, b]) => a !== host && b !== host));
}

/** The hosts `host` can no longer reach. */
export function cutPeers(cuts: readonly LabLinkCut[], host: string): string[] {
  return cuts.flatMap(([a, b]) => (a === host ? [b] : b === host ? [a] : [])).sort();
}

function normalizedCuts(cuts: readonly LabLinkCut[]): LabLinkCut[] {
  const unique = new Map(cuts.map((entry) => [`${entry[0]}|${entry[1]}`, cut(entry[0], entry[1])]));
  return [...unique.values()].sort((x, y) => `${x[0]}|${x[1]}`.localeCompare(`${y[0]}|${y[1]}`));
}
