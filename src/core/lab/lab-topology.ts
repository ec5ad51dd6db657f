import { PgfleetError } from '../errors.js';

export interface LabTopologyInput {
  clusters: number;
  nodes: number;
  etcdMembers: number;
  basePort: number;
  /** Cluster scopes; defaults to alpha, beta, gamma... */
  scopes?: string[] | undefined;
}

/** Where a process of a multi-host lab runs: its host and that host's address (absent on the one-host lab: 127.0.0.1). */
export interface LabPlacement {
  host?: string | undefined;
  address?: string | undefined;
}

export interface LabEtcdMember extends LabPlacement {
  name: string;
  clientPort: number;
  /** Second client port, for https beside http during a TLS migration. */
  clientTlsPort: number;
  peerPort: number;
}

export interface LabNode extends LabPlacement {
  scope: string;
  name: string;
  pgPort: number;
  restPort: number;
}

/** One host of a multi-host lab: its own network namespace and address; the coordinator runs no member. */
export interface LabHost {
  name: string;
  address: string;
  role: 'coordinator' | 'member';
}

export interface LabCluster {
  scope: string;
  nodes: LabNode[];
}

export interface LabTopology {
  host: '127.0.0.1';
  basePort: number;
  etcd: LabEtcdMember[];
  clusters: LabCluster[];
  /** Every port the lab uses, ascending. */
  ports: number[];
  /** The hosts of a multi-host lab (absent: everything on 127.0.0.1). */
  hosts?: LabHost[] | undefined;
}

const DEFAULT_SCOPES = [
  'alpha',
  'beta',
  'gamma',
  'delta',
  'epsilon',
  'zeta',
  'eta',
  'theta',
  'iota',
  'kappa',
  'lambda',
  'mu',
];
export const LAB_LIMITS = { clusters: 100, nodes: 5, etcdMembers: 5 } as const;
export const SCOPE_PATTERN = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** Ports and names of a lab, allocated from one base port without collisions. */
export function planLabTopology(input: LabTopologyInput): LabTopology {
  checkCount('--clusters', input.clusters, 1, LAB_LIMITS.clusters);
  checkCount('--nodes', input.nodes, 1, LAB_LIMITS.nodes);
  checkCount('--etcd-members', input.etcdMembers, 1, LAB_LIMITS.etcdMembers);
  const scopes = input.scopes ?? defaultScopes(input.clusters);
  if (scopes.length !== input.clusters) {
    throw new PgfleetError('LAB_BAD_INPUT', `${scopes.length} scopes given for ${input.clusters} clusters`);
  }
  for (const scope of scopes) {
    if (!SCOPE_PATTERN.test(scope)) {
      throw new PgfleetError(
        'LAB_BAD_INPUT',
        `scope "${scope}" is not valid: expected lowercase letters, digits, "-" or "_"`,
      );
    }
  }
  if (new Set(scopes).size !== scopes.length)
    throw new PgfleetError('LAB_BAD_INPUT', 'two clusters have the same scope');

  const portCount = labPortCount(input);
  if (!Number.isInteger(input.basePort) || input.basePort < 1024 || input.basePort + portCount - 1 > 65535) {
    throw new PgfleetError(
      'LAB_BAD_INPUT',
      `--base-port must be an integer from 1024 to ${65535 - portCount + 1} (the lab needs ${portCount} ports), got ${input.basePort}`,
    );
  }

  let next = input.basePort;
  const take = (): number => next++;
  const etcd = Array.from({ length: input.etcdMembers }, (_, index) => ({
    name: `etcd${index + 1}`,
    clientPort: take(),
    clientTlsPort: take(),
    peerPort: take(),
  }));
  const clusters = scopes.map((scope) => ({
    scope,
    nodes: Array.from({ length: input.nodes }, (_, index) => ({
      scope,
      name: `${scope}-${index + 1}`,
      pgPort: take(),
      restPort: take(),
    })),
  }));
  const ports = Array.from({ length: portCount }, (_, index) => input.basePort + index);
  return { host: '127.0.0.1', basePort: input.basePort, etcd, clusters, ports };
}

export function labPortCount(input: Pick<LabTopologyInput, 'clusters' | 'nodes' | 'etcdMembers'>): number {
  return input.etcdMembers * 3 + input.clusters * input.nodes * 2;
}

function defaultScopes(count: number): string[] {
  return Array.from({ length: count }, (_, index) => DEFAULT_SCOPES[index] ?? `cluster${index + 1}`);
}

export function checkCount(option: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new PgfleetError(
      'LAB_BAD_INPUT',
      `${option} must be an integer from ${min} to ${max}, got ${Number.isNaN(value) ? 'a non-number' : value}`,
    );
  }
}

/** The address a lab process listens on: its host's on a multi-host lab, 127.0.0.1 otherwise. */
export function labAddressOf(topology: Pick<LabTopology, 'host'>, placed: LabPlacement): string {
  return placed.address ?? topology.host;
}

/** etcd client URLs of the lab: the plain http listener (clientPort) or the https one (clientTlsPort). */
export function labEtcdEndpoints(topology: LabTopology, scheme: 'http' | 'https' = 'http'): string[] {
  return topology.etcd.map(
    (member) =>
      `${scheme}://${labAddressOf(topology, member)}:${scheme === 'https' ? member.clientTlsPort : member.clientPort}`,
  );
}
