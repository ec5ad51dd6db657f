import { setTimeout as sleep } from 'node:timers/promises';
import { clientApiSupport } from '../../core/versions/dcs-client-facts.js';
import type { EtcdClientProcess } from '../../core/census/client-process/etcd-client-process.js';
import { hostPort } from '../../core/census/client-accounting.js';
import { parsePatroniKey } from '../../core/census/patroni-key.js';
import {
  type V2RequestCounters,
  parseV2RequestCounters,
  singleKeyV2Reads,
} from '../../core/census/v2-request-counters.js';
import { describeError } from '../../core/errors.js';
import {
  type LocalMemberFacts,
  type V2ClusterFacts,
  type V2MemberFacts,
  type V3MoveFleetFacts,
  type V3MoveGateFailure,
  evaluateV3MoveGates,
  sameRestApi,
  sectionReaches,
} from '../../core/migration/etcd-v3-gates.js';
import { planKeyCopy, v2Directory } from '../../core/migration/etcd-v3-keys.js';
import type { FleetMember } from '../../core/migration/fleet-member.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { type V2Key, V2Keys } from '../../adapters/etcd/v2-keys.js';
import { scanEtcdClientProcesses } from '../../adapters/process/etcd-client-processes.js';
import type { FleetRestClients } from '../../fleet/fleet-rest.js';
import { type HostMember, type V3MoveFleet, rereadHostMember } from './v3-move-fleet.js';

/** A cluster still on v2, what is known of it, and whether it may move. */
export interface V2ClusterPlan {
  facts: V2ClusterFacts;
  gateFailures: V3MoveGateFailure[];
  /** Its members as the REST clients and pause need them. */
  fleetMembers: FleetMember[];
  /** This host's file of each member, by member name. */
  hostMembers: Map<string, HostMember>;
}

export interface V3MovePlan {
  fleet: V3MoveFleetFacts;
  clusters: V2ClusterPlan[];
  /** v2-only clients seen on this host, whichever cluster they read. */
  v2ClientsSeen: Array<{ subject: string; detail: string }>;
}

export interface V3MovePlanOptions {
  /** Only these scopes (`alpha`) or clusters (`/service/alpha`); default every v2 cluster of the configured namespaces. */
  scopes?: readonly string[] | undefined;
  /** How long etcd's v2 request counters are watched for single-key readers (default 2.5 s: vip-manager 1.x polls every second). */
  observeMs?: number | undefined;
}

/** vip-manager's default `interval`: one v2 read of its trigger key per second. */
const VIP_MANAGER_INTERVAL_MS = 1_000;

/**
 * Reads what the move needs, changing nothing: the v2 clusters of the
 * configured namespaces and their keys, each member's REST answer and file
 * on this host, v3 keys already under the clusters' prefixes, v2-only
 * clients (processes on this host, declared ones, and single-key v2 reads
 * in etcd's counters), then evaluates each cluster's gates.
 */
export async function planV3Move(
  given: V3MoveFleet,
  admin: EtcdClient,
  rest: FleetRestClients,
  options: V3MovePlanOptions = {},
): Promise<V3MovePlan> {
  // Each member judged by its file as it is now (a rollback just before may have rewritten it).
  const fleet: V3MoveFleet = { ...given, hostMembers: await Promise.all(given.hostMembers.map(rereadHostMember)) };
  const v2 = new V2Keys({ endpoints: fleet.endpoints, tls: fleet.tls });
  try {
    const served = await v2.served().catch(() => ({ served: false, authEnabled: undefined }));
    let etcdVersion: string | undefined;
    let v3Problem: string | undefined;
    try {
      etcdVersion = (await admin.status()).version;
    } catch (error) {
      v3Problem = describeError(error);
    }
    const v3AuthEnabled = await admin.isAuthEnabled().catch(() => false);
    // The counters first, while pgfleet itself has made no v2 request yet.
    const reads = served.served ? await observeSingleKeyReads(admin, options.observeMs ?? 2_500) : undefined;
    const trees = served.served ? await readNamespaces(v2, fleet.namespaces) : [];
    const scanned = await scanEtcdClientProcesses().catch(() => ({ scanned: false, clients: [], unreadable: 0 }));
    // Clients of another etcd (another fleet on this host) are not this move's business.
    const processes = { ...scanned, clients: scanned.clients.filter((client) => talksTo(client, fleet.endpoints)) };
    const v2ClientsSeen = processes.clients.filter(speaksV2).map(describeV2Client);
    const clusters = groupClusters(trees).filter((cluster) => selected(cluster, options.scopes));
    const knownV2Readers =
      processes.clients.filter(speaksV2).length + fleet.declaredClients.filter((client) => client.api === 'v2').length;
    const expectedReads = reads ? knownV2Readers * (Math.ceil(reads.observedMs / VIP_MANAGER_INTERVAL_MS) + 1) : 0;
    const fleetFacts: V3MoveFleetFacts = {
      etcdVersion,
      v3Problem,
      v2: served,
      v3AuthEnabled,
      unexplainedV2Reads:
        reads && reads.reads > expectedReads
          ? { reads: reads.reads - expectedReads, observedMs: reads.observedMs }
          : undefined,
      clusters: [],
    };
    const plans: V2ClusterPlan[] = [];
    for (const cluster of clusters) {
      const plan = await clusterPlan(cluster, fleet, admin, rest, processes.clients, v3AuthEnabled);
      fleetFacts.clusters.push(plan.facts);
      plans.push(plan);
    }
    for (const plan of plans) plan.gateFailures = evaluateV3MoveGates(fleetFacts, plan.facts);
    return { fleet: fleetFacts, clusters: plans, v2ClientsSeen };
  } finally {
    await v2.close();
  }
}

interface V2ClusterKeys {
  namespace: string;
  scope: string;
  base: string;
  keys: V2Key[];
}

async function readNamespaces(v2: V2Keys, namespaces: readonly string[]): Promise<V2Key[]> {
  const keys: V2Key[] = [];
  for (const namespace of new Set(namespaces)) keys.push(...(await v2.readTree(v2Directory(namespace))));
  return keys;
}

/** Keys grouped by the Patroni cluster whose shape they have; a cluster is known by its member, leader, config or initialize keys. */
function groupClusters(keys: readonly V2Key[]): V2ClusterKeys[] {
  const clusters = new Map<string, V2ClusterKeys>();
  for (const entry of keys) {
    const shape = parsePatroniKey(entry.key);
    if (!shape || shape.citusGroup !== undefined) continue;
    if (!clusters.has(shape.base))
      clusters.set(shape.base, { namespace: shape.namespace, scope: shape.scope, base: shape.base, keys: [] });
  }
  for (const entry of keys) {
    const cluster = [...clusters.values()].find((candidate) => entry.key.startsWith(candidate.base));
    cluster?.keys.push(entry);
  }
  return [...clusters.values()].sort((a, b) => a.base.localeCompare(b.base));
}

function selected(cluster: V2ClusterKeys, scopes: readonly string[] | undefined): boolean {
  if (!scopes || scopes.length === 0) return true;
  return scopes.some((scope) => scope === cluster.scope || `${scope.replace(/\/+$/, '')}/` === cluster.base);
}

async function clusterPlan(
  cluster: V2ClusterKeys,
  fleet: V3MoveFleet,
  admin: EtcdClient,
  rest: FleetRestClients,
  processes: readonly EtcdClientProcess[],
  v3AuthEnabled: boolean,
): Promise<V2ClusterPlan> {
  const keys = planKeyCopy(cluster.base, cluster.keys);
  const leader = cluster.keys.find((entry) => entry.key === `${cluster.base}leader`)?.value;
  const memberKeys = cluster.keys.filter((entry) => parsePatroniKey(entry.key)?.kind === 'members');
  const fleetMembers: FleetMember[] = memberKeys.map((entry) => {
    const data = parseObject(entry.value);
    return {
      namespace: cluster.namespace,
      scope: cluster.scope,
      name: entry.key.slice(`${cluster.base}members/`.length),
      apiUrl: typeof data.api_url === 'string' ? data.api_url : undefined,
      role: typeof data.role === 'string' ? data.role : undefined,
      managedHere: false,
    };
  });
  const hostMembers = new Map<string, HostMember>();
  const members: V2MemberFacts[] = await Promise.all(
    fleetMembers.map(async (member) => {
      // The same name in another fleet's etcd, or a file whose REST API is not the registered one, is not this member.
      const host = fleet.hostMembers.find(
        (candidate) =>
          candidate.instance.scope === member.scope &&
          candidate.instance.namespace === member.namespace &&
          candidate.instance.node === member.name &&
          sameRestApi(member.apiUrl, candidate.instance.restUrl) &&
          reachesThisEtcd(candidate, fleet.endpoints),
      );
      if (host) {
        hostMembers.set(member.name, host);
        member.managedHere = !host.adopted;
      }
      let status: V2MemberFacts['status'];
      let unreachable: string | undefined;
      try {
        const answer = await rest.for(member).nodeStatus();
        status = {
          role: answer.role,
          state: answer.state,
          timeline: answer.timeline,
          pause: answer.pause === true,
          patroniVersion: answer.patroni?.version,
        };
      } catch (error) {
        unreachable = describeError(error);
      }
      return {
        name: member.name,
        apiUrl: member.apiUrl,
        status,
        unreachable,
        local: host ? localFacts(host) : undefined,
      };
    }),
  );
  const registered = new Set(fleetMembers.map((member) => member.name));
  const unregisteredHere = fleet.hostMembers
    .filter(
      (host) =>
        host.instance.scope === cluster.scope &&
        host.instance.namespace === cluster.namespace &&
        !registered.has(host.instance.node) &&
        host.instance.config.etcd !== undefined &&
        reachesThisEtcd(host, fleet.endpoints),
    )
    .map((host) => `${host.instance.node} (${host.instance.configFile})`);
  const v3Keys = (await admin.getPrefix(cluster.base, { keysOnly: true }).catch(() => [])).map((entry) => entry.key);
  const v2Clients = [
    ...processes
      .filter((client) => speaksV2(client) && client.keys.some((use) => use.key.startsWith(cluster.base)))
      .map(describeV2Client),
    ...fleet.declaredClients
      .filter(
        (client) =>
          client.api === 'v2' &&
          client.keys.some(
            (use) => use.key.startsWith(cluster.base) || (use.prefix && cluster.base.startsWith(use.key)),
          ),
      )
      .map((client) => ({
        subject: `declared client ${client.name}`,
        detail: `declared as a ${client.kind} on etcd's v2 API`,
      })),
  ];
  const credentials = v3AuthEnabled
    ? (await fleet.tenants.credentialsFor(cluster.namespace, cluster.scope).catch(() => undefined))
      ? 'available'
      : 'missing'
    : 'not-needed';
  return {
    facts: {
      cluster: `${cluster.namespace}${cluster.scope}`,
      namespace: cluster.namespace,
      scope: cluster.scope,
      base: cluster.base,
      keys,
      leader,
      members: members.sort((a, b) => a.name.localeCompare(b.name)),
      v3Keys,
      unregisteredHere,
      v2Clients,
      v3Credentials: credentials,
    },
    gateFailures: [],
    fleetMembers,
    hostMembers,
  };
}

function localFacts(host: HostMember): LocalMemberFacts {
  const config = host.instance.config;
  const section = config.etcd && config.etcd3 ? 'both' : config.etcd3 ? 'etcd3' : config.etcd ? 'etcd' : 'none';
  return {
    configFile: host.instance.configFile,
    section,
    adopted: host.adopted,
    ...(host.problem ? { problem: host.problem } : {}),
  };
}

/** A client on etcd's v2 API: vip-manager before 2.0 (or of unknown version on the etcd type), and any client described as v2. */
function speaksV2(client: EtcdClientProcess): boolean {
  if (client.program === 'patroni' || client.program === 'patronictl') return false;
  if (client.api === 'v2') return true;
  if (client.program === 'vip-manager' && client.api === 'unknown') {
    const support = client.version ? clientApiSupport('vip-manager', client.version) : undefined;
    return support?.etcdV2 !== false;
  }
  return false;
}

function describeV2Client(client: EtcdClientProcess): { subject: string; detail: string } {
  const support =
    client.program === 'vip-manager' && client.version ? clientApiSupport('vip-manager', client.version) : undefined;
  return {
    subject: `${client.program}${client.version ? ` ${client.version}` : ''} (pid ${client.pid})`,
    detail: `${client.keys.map((use) => use.key).join(', ') || 'its keys are not known'}${support && support.etcdV2 === true ? `; ${support.note.split(';')[0]}` : client.api === 'unknown' ? '; its version is not known, so it may speak only v2' : ''}`,
  };
}

/** Single-key v2 reads every etcd member served during `observeMs` (see singleKeyV2Reads). */
async function observeSingleKeyReads(
  admin: EtcdClient,
  observeMs: number,
): Promise<{ reads: number; observedMs: number } | undefined> {
  const urls = await admin
    .memberList()
    .then((members) => members.map((member) => member.clientUrls[0]).filter((url): url is string => url !== undefined))
    .catch(() => admin.endpoints);
  const read = async (url: string): Promise<V2RequestCounters | undefined> => {
    try {
      const answer = await admin.httpGet(`${url.replace(/\/+$/, '')}/metrics`);
      return answer.statusCode === 200 ? parseV2RequestCounters(answer.text) : undefined;
    } catch {
      return undefined;
    }
  };
  const started = Date.now();
  const before = await Promise.all(urls.map(read));
  await sleep(observeMs);
  const after = await Promise.all(urls.map(read));
  const observedMs = Date.now() - started;
  let reads = 0;
  let measured = 0;
  for (const [index, counters] of before.entries()) {
    const later = after[index];
    if (!counters || !later) continue;
    measured += 1;
    reads += singleKeyV2Reads(counters, later);
  }
  return measured > 0 ? { reads, observedMs } : undefined;
}

function parseObject(value: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A member file whose DCS section points at this etcd (or does not say where: srv, proxy). */
function reachesThisEtcd(host: HostMember, endpoints: readonly string[]): boolean {
  const config = host.instance.config;
  const section = (config.etcd ?? config.etcd3 ?? {}) as Record<string, unknown>;
  return sectionReaches(section, endpoints) !== false;
}

/** A client whose endpoints include one of these (one relying on its default endpoint is taken as talking to 127.0.0.1:2379). */
function talksTo(client: EtcdClientProcess, endpoints: readonly string[]): boolean {
  const wanted = new Set(endpoints.map(hostPort));
  const used = client.endpoints.length > 0 ? client.endpoints : ['http://127.0.0.1:2379'];
  return used.some((endpoint) => wanted.has(hostPort(endpoint)));
}
