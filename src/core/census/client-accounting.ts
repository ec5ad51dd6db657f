import type { DeclaredClient as FullDeclaration } from '../tenancy/declared-clients.js';
import type { ClientKeyUse, EtcdClientProcess } from './client-process/etcd-client-process.js';
import { type CensusSubject, subjectId } from './census-subject.js';
import { type EtcdCensus, type LeaseFootprint, v2ReadsObserved, watcherTotals } from './etcd-census.js';
import { KeyBucketing } from './key-bucket.js';
import { OVERFLOW_PREFIX, type PatroniClusterFootprint, type PrefixFootprint } from './keyspace-tally.js';
import { parsePatroniKey } from './patroni-key.js';

/**
 * v3 watchers (and watch streams) one running Patroni 3.0.2 member keeps open
 * on etcd: its cache thread watches `<namespace><scope>/`. Measured on the
 * lab (1 cluster of 2 members, 3 etcd members, 60 s): 2 watchers and 2
 * streams in total, each member on the etcd member it talks to.
 */
export const PATRONI_WATCHERS_PER_MEMBER = 1;

/**
 * What the census needs of a client declared in the tenants file (the whole
 * declaration is core/tenancy/declared-clients.ts): its kind, the keys it
 * uses, whether it writes them, its API, the watches it keeps, its user.
 */
export type DeclaredClient = Pick<FullDeclaration, 'name' | 'kind' | 'keys'> &
  Partial<Pick<FullDeclaration, 'writes' | 'api' | 'watchers' | 'user'>>;

/** What the fleet accounts for: the census is set against it. */
export interface KnownClients {
  /** The Patroni namespaces the settings name (`/service/`): clusters there are the fleet's. */
  namespaces: readonly string[];
  /** The fleet's Patroni members, as discovery found them. */
  patroniMembers: ReadonlyArray<{ namespace: string; scope: string; name: string }>;
  /** Each tenant's prefix (`/service/alpha/`): writes there are its cluster's. */
  tenants: ReadonlyArray<{ prefix: string }>;
  declaredClients: readonly DeclaredClient[];
  /** pgfleet's own keys (readiness records, migration state). */
  pgfleetPrefix: string;
}

export interface ClientAccount {
  /** Patroni clusters under a namespace the settings do not name: their members have no tenant and break when auth goes on. */
  outsideClusters: CensusSubject[];
  /** Prefixes written during the census under no tenant, no declared client and not pgfleet's. */
  unknownWriters: CensusSubject[];
  /** Leases, watchers and processes on this host that no known member or declared client explains. */
  unknownClients: CensusSubject[];
  /** Patroni clusters in the v2 keyspace: v3 auth does not protect them, enforce leaves them open. */
  v2Clusters: CensusSubject[];
  /** v2 reads that no v2 Patroni cluster or declared v2 client explains. */
  v2Readers: CensusSubject[];
  /** v2 keys served with v2 auth off. */
  v2Exposure: CensusSubject[];
  /** All of the above, in that order. */
  subjects: CensusSubject[];
  /** Leases holding no key: they write nothing, and etcd 3.4.23 keeps them alive without auth. Patroni 3.0.2 leaves one at start-up, which expires. */
  keylessLeases: LeaseFootprint[];
  explained: {
    patroniMembers: number;
    leases: number;
    watchers: number;
    processes: number;
  };
  /** What the census could not measure: conclusions above are then partial. */
  incomplete: string[];
}

/**
 * Sets a census against what the fleet knows: every Patroni cluster, writer,
 * lease, watcher and client process either belongs to a known member, a
 * tenant, a declared client or pgfleet, or is named as a subject to fix or
 * acknowledge. Pure: the census is taken by the etcd adapter.
 */
export function accountForClients(census: EtcdCensus, known: KnownClients): ClientAccount {
  const namespaces = new Set(
    known.namespaces.map((namespace) => (namespace.endsWith('/') ? namespace : `${namespace}/`)),
  );
  const knownMembers = new Set(
    known.patroniMembers.map((member) => `${member.namespace}${member.scope}/${member.name}`),
  );
  const inFleet = (cluster: Pick<PatroniClusterFootprint, 'namespace'>): boolean => namespaces.has(cluster.namespace);
  const clusters = census.keyspace.patroniClusters;
  const outside = clusters.filter((cluster) => !inFleet(cluster));
  const bucketing = new KeyBucketing({ hints: [...known.tenants.map((tenant) => tenant.prefix), known.pgfleetPrefix] });
  const incomplete = incompleteParts(census);

  // Processes first: the other subjects point at the processes that may explain them.
  const processes = accountForProcesses(census, known, outside, namespaces);

  const outsideClusters = outside.map((cluster): CensusSubject => {
    const members = cluster.members.map((member) => member.name);
    const pids = processes.attached.get(cluster.base) ?? [];
    const leases = [
      ...new Set(cluster.members.map((member) => member.lease).filter((lease): lease is string => lease !== undefined)),
    ];
    return {
      id: subjectId('outside-cluster', cluster.base),
      kind: 'outside-cluster',
      summary: `Patroni cluster ${cluster.base} (${plural(members.length + cluster.membersNotListed, 'member')}${members.length > 0 ? `: ${members.join(', ')}` : ''}) is outside the configured namespaces${beingWritten(cluster) ? ', and is being written now' : ''}`,
      fix: `add ${cluster.namespace || '(its namespace)'} to tenancy.namespaces in the site settings so that its members get their own etcd user before auth goes on, or stop that cluster`,
      // A tenant listed for it (tenants file) gives it a user, but the fleet's discovery and gates do not see its members.
      details: {
        base: cluster.base,
        namespace: cluster.namespace,
        scope: cluster.scope,
        coveredByTenant: known.tenants.some((tenant) => cluster.base.startsWith(tenant.prefix)),
        members,
        keyKinds: cluster.keyKinds,
        writtenKeys: cluster.writtenKeys,
        writesObserved: cluster.writesObserved,
        maxModRevision: cluster.maxModRevision,
        leases,
        processes: pids,
      },
    };
  });

  const unknownWriters = census.keyspace.prefixes
    .filter((prefix) => beingWritten(prefix) && !writeAccounted(prefix, known))
    .map((prefix): CensusSubject => ({
      id: subjectId('unknown-writer', prefix.prefix),
      kind: 'unknown-writer',
      summary: `${describePrefix(prefix.prefix)} is being written (${writeFigures(prefix, census)}) by a client that is under no tenant and not declared`,
      fix: `declare the client that writes ${describePrefix(prefix.prefix)} (with its own etcd user) or acknowledge it: it will be refused once auth is on`,
      details: {
        prefix: prefix.prefix,
        keyCount: prefix.keyCount,
        writtenKeys: prefix.writtenKeys,
        writesObserved: prefix.writesObserved,
        maxModRevision: prefix.maxModRevision,
        folded: prefix.folded,
        candidates: processes.candidates((use) => use === 'write' || use === 'read-write', prefix.prefix),
      },
    }));

  const leases = accountForLeases(census.leases.leases, known, namespaces, knownMembers, outside, bucketing);
  const leaseSubjects = [...leases.unknown].map(([bucket, held]): CensusSubject => ({
    id: subjectId('unknown-lease', bucket),
    kind: 'unknown-lease',
    summary: `${plural(held.length, 'lease')} holding keys under ${describePrefix(bucket)} that no known Patroni member or declared client explains`,
    fix: 'declare the client that holds these leases (with its own etcd user) or acknowledge it',
    details: {
      prefix: bucket,
      leases: held.map((lease) => ({
        id: lease.id,
        ttlSeconds: lease.ttlSeconds,
        grantedTtlSeconds: lease.grantedTtlSeconds,
        keys: lease.keys,
        keyCount: lease.keyCount,
      })),
      candidates: processes.candidates(() => true, bucket),
    },
  }));

  const watchers = accountForWatchers(census, known, processes.subjects);

  const v2Clusters = (census.v2.keyspace?.patroniClusters ?? []).map((cluster): CensusSubject => ({
    id: subjectId('v2-cluster', cluster.base),
    kind: 'v2-cluster',
    summary: `Patroni cluster ${cluster.base} (${plural(cluster.members.length + cluster.membersNotListed, 'member')}) is in etcd's v2 keyspace: not protected by v3 auth, still open after enforce`,
    fix: "move the cluster to Patroni's etcd3 section (a v3 cluster can then be secured), or enable v2 auth separately",
    details: {
      base: cluster.base,
      namespace: cluster.namespace,
      scope: cluster.scope,
      members: cluster.members.map((member) => member.name),
      processes: processes.attachedV2.get(cluster.base) ?? [],
    },
  }));

  const v2Readers: CensusSubject[] = [];
  const v2Reads = v2ReadsObserved(census);
  const v2ReadersExplained =
    (census.v2.keyspace?.patroniClusters ?? []).some((cluster) => cluster.members.length > 0) ||
    known.declaredClients.some((client) => client.api === 'v2');
  if (v2Reads.reads > 0 && !v2ReadersExplained) {
    v2Readers.push({
      id: subjectId('v2-readers'),
      kind: 'v2-readers',
      summary: `${plural(v2Reads.reads, 'v2 read')} in ${(census.observedMs / 1000).toFixed(1)} s while no Patroni member is on the v2 (etcd:) section: a client reads the v2 API (Debian's vip-manager 1.0.2 polls it every second)`,
      fix: 'find and declare the v2 client (vip-manager, confd with -backend etcd, etcdctl with ETCDCTL_API=2); v3 auth does not cover it',
      details: {
        reads: v2Reads.reads,
        observedMs: census.observedMs,
        measuredMembers: v2Reads.measuredMembers,
        candidates: processes.subjects
          .filter((subject) => subject.details['api'] === 'v2')
          .map((subject) => subject.id),
      },
    });
  }

  const v2Exposure: CensusSubject[] = [];
  if (census.v2.served && census.v2.authEnabled === false && (census.v2.keyspace?.keyCount ?? 0) > 0) {
    v2Exposure.push({
      id: subjectId('v2-open-keyspace'),
      kind: 'v2-open-keyspace',
      summary: `etcd serves ${plural(census.v2.keyspace?.keyCount ?? 0, 'v2 key')} with v2 auth off: anyone who reaches etcd reads and writes them`,
      fix: 'drop --enable-v2 once no client needs v2, or enable v2 auth',
      details: { keyCount: census.v2.keyspace?.keyCount ?? 0 },
    });
  }

  const unknownClients = [...leaseSubjects, ...watchers.subjects, ...processes.subjects];
  return {
    outsideClusters,
    unknownWriters,
    unknownClients,
    v2Clusters,
    v2Readers,
    v2Exposure,
    subjects: [...outsideClusters, ...unknownWriters, ...unknownClients, ...v2Clusters, ...v2Readers, ...v2Exposure],
    keylessLeases: leases.keyless,
    explained: {
      patroniMembers: clusters.filter(inFleet).reduce((sum, cluster) => sum + cluster.members.length, 0),
      leases: leases.explained,
      watchers: watchers.explained,
      processes: processes.explained,
    },
    incomplete,
  };
}

function beingWritten(footprint: { writtenKeys: number; writesObserved: number }): boolean {
  return footprint.writtenKeys > 0 || footprint.writesObserved > 0;
}

function writeFigures(prefix: PrefixFootprint, census: EtcdCensus): string {
  const parts: string[] = [];
  if (prefix.writesObserved > 0)
    parts.push(`${plural(prefix.writesObserved, 'write')} seen in ${(census.observedMs / 1000).toFixed(1)} s`);
  if (prefix.writtenKeys > 0)
    parts.push(
      `${plural(prefix.writtenKeys, 'key')} modified after revision ${census.keyspace.writtenSince ?? census.startRevision}`,
    );
  return parts.join(', ');
}

function writeAccounted(prefix: PrefixFootprint, known: KnownClients): boolean {
  if (prefix.prefix.startsWith(known.pgfleetPrefix)) return true;
  if (known.tenants.some((tenant) => prefix.prefix.startsWith(tenant.prefix))) return true;
  return known.declaredClients.some(
    (client) =>
      client.writes === true && client.keys.some((key) => (key.prefix ? prefix.prefix.startsWith(key.key) : false)),
  );
}

interface LeaseAccount {
  explained: number;
  keyless: LeaseFootprint[];
  /** Unexplained leases by the prefix of their first key. */
  unknown: Map<string, LeaseFootprint[]>;
}

/**
 * A Patroni member holds one lease covering its member key and, on the
 * leader, the leader key. Such a lease is the fleet's when its cluster is;
 * one of an outside cluster is named with that cluster.
 */
function accountForLeases(
  leases: readonly LeaseFootprint[],
  known: KnownClients,
  namespaces: ReadonlySet<string>,
  knownMembers: ReadonlySet<string>,
  outside: readonly PatroniClusterFootprint[],
  bucketing: KeyBucketing,
): LeaseAccount {
  const account: LeaseAccount = { explained: 0, keyless: [], unknown: new Map() };
  const outsideBases = new Set(outside.map((cluster) => cluster.base));
  for (const lease of leases) {
    if (lease.keyCount === 0) {
      account.keyless.push(lease);
      continue;
    }
    const shapes = lease.keys.map(parsePatroniKey);
    const bases = new Set(shapes.map((shape) => shape?.base));
    const patroniMember =
      lease.keys.length === lease.keyCount &&
      bases.size === 1 &&
      shapes.every((shape) => shape !== undefined && (shape.kind === 'members' || shape.kind === 'leader'));
    if (patroniMember) {
      const shape = shapes.find((candidate) => candidate?.kind === 'members') ?? shapes[0]!;
      if (
        namespaces.has(shape.namespace) ||
        knownMembers.has(`${shape.namespace}${shape.scope}/${shape.member ?? ''}`) ||
        outsideBases.has(shape.base)
      ) {
        account.explained += outsideBases.has(shape.base) ? 0 : 1;
        continue;
      }
    }
    const accounted =
      lease.keys.length === lease.keyCount &&
      lease.keys.every(
        (key) =>
          key.startsWith(known.pgfleetPrefix) ||
          known.declaredClients.some((client) => client.keys.some((declared) => covers(declared, key))),
      );
    if (accounted) {
      account.explained += 1;
      continue;
    }
    const bucket = bucketing.bucketOf(lease.keys[0] ?? '');
    account.unknown.set(bucket, [...(account.unknown.get(bucket) ?? []), lease]);
  }
  return account;
}

/**
 * Watchers cannot be tied to a client: etcd only counts them. What live
 * Patroni members (of every cluster found: those outside are named on their
 * own) and declared clients explain is subtracted; more than that is named.
 */
function accountForWatchers(
  census: EtcdCensus,
  known: KnownClients,
  processSubjects: readonly CensusSubject[],
): { explained: number; subjects: CensusSubject[] } {
  const totals = watcherTotals(census);
  if (totals.measuredMembers === 0) return { explained: 0, subjects: [] };
  // A running Patroni keeps its member key on a lease (etcd3.py); a member key without one is left over, its Patroni not running.
  // Members past the listing cap are counted as live: an excess must not come from the census's own cap.
  const liveMembers = census.keyspace.patroniClusters.reduce(
    (sum, cluster) =>
      sum + cluster.members.filter((member) => member.lease !== undefined).length + cluster.membersNotListed,
    0,
  );
  const declared = known.declaredClients.reduce((sum, client) => sum + (client.watchers ?? 0), 0);
  const expected = liveMembers * PATRONI_WATCHERS_PER_MEMBER + declared;
  const excess = Math.max(totals.watchers - expected, totals.watchStreams - expected);
  if (excess <= 0) return { explained: totals.watchers, subjects: [] };
  return {
    explained: Math.min(totals.watchers, expected),
    subjects: [
      {
        id: subjectId('unexplained-watchers'),
        kind: 'unexplained-watchers',
        summary: `${plural(excess, 'watcher')} more than the fleet explains: etcd counts ${plural(totals.watchers, 'watcher')} on ${plural(totals.watchStreams, 'stream')}, ${liveMembers} live Patroni member(s) and the declared clients account for ${expected}`,
        fix: 'find the client that watches (on each host: the census lists etcd clients it sees running) and declare it, or acknowledge it',
        details: {
          watchers: totals.watchers,
          watchStreams: totals.watchStreams,
          expected,
          excess,
          livePatroniMembers: liveMembers,
          declaredWatchers: declared,
          measuredMembers: totals.measuredMembers,
          candidates: processSubjects
            .filter((subject) =>
              (subject.details['keys'] as ClientKeyUse[] | undefined)?.some((key) => key.use === 'watch'),
            )
            .map((subject) => subject.id),
        },
      },
    ],
  };
}

interface ProcessAccount {
  explained: number;
  subjects: CensusSubject[];
  /** Patroni processes of outside clusters, by base. */
  attached: Map<string, number[]>;
  /** Patroni processes of v2 clusters, by base. */
  attachedV2: Map<string, number[]>;
  /** Ids of process subjects whose keys match `use` and fall under (or cover) `prefix`. */
  candidates(use: (use: ClientKeyUse['use']) => boolean, prefix: string): string[];
}

function accountForProcesses(
  census: EtcdCensus,
  known: KnownClients,
  outside: readonly PatroniClusterFootprint[],
  namespaces: ReadonlySet<string>,
): ProcessAccount {
  const outsideBases = new Set(outside.map((cluster) => cluster.base));
  const v2Bases = new Set((census.v2.keyspace?.patroniClusters ?? []).map((cluster) => cluster.base));
  const etcdEndpoints = new Set(census.members.flatMap((member) => member.clientUrls).map(hostPort));
  const account: ProcessAccount = {
    explained: 0,
    subjects: [],
    attached: new Map(),
    attachedV2: new Map(),
    candidates: () => [],
  };
  const byId = new Map<string, { subject: CensusSubject; keys: ClientKeyUse[] }>();
  for (const client of census.processes.clients) {
    if (client.api === 'other-dcs') continue;
    // A client of another etcd cluster is not this census's business; one relying on its default endpoint may be.
    const endpoints = client.endpoints.length > 0 ? client.endpoints : ['http://127.0.0.1:2379'];
    if (etcdEndpoints.size > 0 && !endpoints.some((endpoint) => etcdEndpoints.has(hostPort(endpoint)))) continue;
    if (client.program === 'patroni' && client.patroni?.scope !== undefined) {
      const base = `${client.patroni.namespace}${client.patroni.scope}/`;
      if (client.api === 'v2' && v2Bases.has(base)) {
        account.attachedV2.set(base, [...(account.attachedV2.get(base) ?? []), client.pid]);
        continue;
      }
      if (client.api !== 'v2' && outsideBases.has(base)) {
        account.attached.set(base, [...(account.attached.get(base) ?? []), client.pid]);
        continue;
      }
      if (client.api !== 'v2' && namespaces.has(client.patroni.namespace)) {
        account.explained += 1;
        continue;
      }
    }
    if (declaredFor(client, known.declaredClients)) {
      account.explained += 1;
      continue;
    }
    const main = client.keys[0];
    const id = subjectId('unknown-process', `${census.host}:${client.program}:${main ? main.key : '-'}`);
    const existing = byId.get(id);
    if (existing) {
      (existing.subject.details['pids'] as number[]).push(client.pid);
      continue;
    }
    const subject: CensusSubject = {
      id,
      kind: 'unknown-process',
      summary: `${client.program} (pid ${client.pid}) on ${census.host} talks to this etcd (${client.api} API${main ? `, ${main.use} ${main.key}${main.prefix ? ' and under' : ''}` : ''}${client.credentialsSet ? `, as ${client.username ?? 'a user'}` : ', without credentials'}) and is not declared`,
      fix: client.credentialsSet
        ? `declare ${client.program} with what it reads so that it gets a role of its own, or acknowledge it`
        : `declare ${client.program} and give it credentials before auth goes on: without them every read fails${client.program === 'vip-manager' ? ' and vip-manager drops the VIP' : ''}`,
      details: {
        host: census.host,
        pids: [client.pid],
        program: client.program,
        api: client.api,
        endpoints: client.endpoints,
        keys: client.keys,
        credentialsSet: client.credentialsSet,
        username: client.username,
        configFile: client.configFile,
        command: client.command,
        version: client.version,
      },
    };
    byId.set(id, { subject, keys: client.keys });
    account.subjects.push(subject);
  }
  account.candidates = (use, prefix) =>
    [...byId.values()]
      .filter(({ keys }) =>
        keys.some((key) => use(key.use) && (key.key.startsWith(prefix) || (key.prefix && prefix.startsWith(key.key)))),
      )
      .map(({ subject }) => subject.id);
  return account;
}

/**
 * A declared client of the program's kind whose keys cover every key the
 * process uses, or whose etcd user the process runs as. etcdctl stands in
 * for any kind (an operator's watch, a script): its keys or its user decide.
 */
function declaredFor(client: EtcdClientProcess, declared: readonly DeclaredClient[]): boolean {
  const kinds: Record<EtcdClientProcess['program'], ReadonlyArray<DeclaredClient['kind']>> = {
    'vip-manager': ['vip-manager'],
    confd: ['confd'],
    patronictl: ['patronictl'],
    etcdctl: ['vip-manager', 'monitoring', 'confd', 'patronictl'],
    // A Patroni is the fleet's (a tenant) or outside it, never a declared client.
    patroni: [],
  };
  return declared.some(
    (candidate) =>
      kinds[client.program].includes(candidate.kind) &&
      ((client.username !== undefined && client.username === candidate.user) ||
        ((client.keys.length > 0 || client.program !== 'etcdctl') &&
          client.keys.every((key) =>
            candidate.keys.some(
              (declaredKey) => covers(declaredKey, key.key) && (key.prefix ? declaredKey.prefix : true),
            ),
          ))),
  );
}

function covers(declared: { key: string; prefix: boolean }, key: string): boolean {
  return declared.prefix ? key.startsWith(declared.key) : key === declared.key;
}

/** `host:port` of an endpoint URL, with localhost read as 127.0.0.1 and etcd's default port. */
export function hostPort(endpoint: string): string {
  const withoutScheme = endpoint.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/\/.*$/, '');
  const [host = '', port = '2379'] = withoutScheme.startsWith('[')
    ? [
        withoutScheme.slice(0, withoutScheme.indexOf(']') + 1),
        withoutScheme.slice(withoutScheme.indexOf(']') + 2) || '2379',
      ]
    : withoutScheme.split(':');
  return `${host === 'localhost' ? '127.0.0.1' : host}:${port}`;
}

function incompleteParts(census: EtcdCensus): string[] {
  const parts: string[] = [];
  for (const member of census.members)
    if (member.error)
      parts.push(
        `etcd member ${member.name}: counters not read (${member.error}): its watchers and v2 reads are not counted`,
      );
  if (census.leases.notListed > 0)
    parts.push(`${plural(census.leases.notListed, 'lease')} beyond the census's cap not looked at`);
  if (census.keyspace.prefixesFolded > 0)
    parts.push(
      `${plural(census.keyspace.prefixesFolded, 'prefix', 'prefixes')} folded into their parent (too many to list)`,
    );
  if (census.v2.served && !census.v2.readable)
    parts.push(`the v2 keyspace could not be listed${census.v2.error ? ` (${census.v2.error})` : ''}`);
  if (census.v2.nodesNotVisited > 0)
    parts.push(
      `${plural(census.v2.nodesNotVisited, 'v2 directory', 'v2 directories')} beyond the census's cap not listed`,
    );
  if (census.writeWatch.error)
    parts.push(
      `the watch of the keyspace's writes stopped (${census.writeWatch.error}): writes are known by their revisions only`,
    );
  if (!census.processes.scanned) parts.push(`the processes of ${census.host} were not scanned`);
  if (census.processes.unreadable > 0)
    parts.push(
      `${plural(census.processes.unreadable, 'etcd client process', 'etcd client processes')} on ${census.host} could not be read (run as root to see them)`,
    );
  return parts;
}

function describePrefix(prefix: string): string {
  if (prefix === '') return '(keys without "/")';
  if (prefix === OVERFLOW_PREFIX) return '(keys past the census cap)';
  return prefix;
}

function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}
