import type { EtcdClientProcess } from '../../../src/core/census/client-process/etcd-client-process.js';
import type { EtcdCensus, LeaseFootprint } from '../../../src/core/census/etcd-census.js';
import { KeyspaceTally } from '../../../src/core/census/keyspace-tally.js';

/** A census built from plain lists, as the etcd adapter would have taken it. */
export function censusOf(parts: {
  keys?: Array<[key: string, modRevision: number, lease?: string]>;
  /** Keys the census's watch saw written. */
  writes?: string[];
  /** The census's own watchers among the counters. */
  ownWatchers?: number;
  startRevision?: number;
  leases?: LeaseFootprint[];
  watchers?: number[];
  v2Reads?: Array<[before: number, after: number]>;
  v2Keys?: Array<[key: string, modifiedIndex: number]>;
  v2AuthEnabled?: boolean;
  processes?: EtcdClientProcess[];
}): EtcdCensus {
  const startRevision = parts.startRevision ?? 100;
  const tally = new KeyspaceTally({ writtenSince: startRevision });
  for (const [key, modRevision, lease] of parts.keys ?? []) tally.add({ key, modRevision, lease });
  for (const key of parts.writes ?? []) tally.noteWrite(key);
  const v2Tally = new KeyspaceTally();
  for (const [key, modRevision] of parts.v2Keys ?? []) v2Tally.add({ key, modRevision });
  const watchers = parts.watchers ?? [0];
  return {
    takenAt: '2026-12-07T00:00:00.000Z',
    durationMs: 3000,
    host: 'db1',
    startRevision,
    endRevision: startRevision + 10,
    observedMs: 2500,
    writeWatch: {
      watched: true,
      events: parts.writes?.length ?? 0,
      ownWatchers: parts.ownWatchers ?? 0,
      error: undefined,
    },
    members: watchers.map((count, index) => ({
      name: `etcd${index + 1}`,
      clientUrls: [`http://127.0.0.1:${2379 + index * 10}`],
      metricsUrl: `http://127.0.0.1:${2379 + index * 10}`,
      before: { watchers: count, watchStreams: count, v2Reads: parts.v2Reads?.[index]?.[0] ?? 0, v2Watchers: 0 },
      after: { watchers: count, watchStreams: count, v2Reads: parts.v2Reads?.[index]?.[1] ?? 0, v2Watchers: 0 },
      error: undefined,
    })),
    keyspace: tally.summary(),
    leases: { leases: parts.leases ?? [], notListed: 0, expiredMeanwhile: 0 },
    v2: parts.v2Keys
      ? {
          served: true,
          authEnabled: parts.v2AuthEnabled ?? false,
          readable: true,
          keyspace: v2Tally.summary(),
          nodesNotVisited: 0,
          error: undefined,
        }
      : {
          served: false,
          authEnabled: undefined,
          readable: false,
          keyspace: undefined,
          nodesNotVisited: 0,
          error: undefined,
        },
    processes: { scanned: true, clients: parts.processes ?? [], unreadable: 0 },
  };
}

export function lease(id: string, keys: string[], ttlSeconds = 20): LeaseFootprint {
  return { id, ttlSeconds, grantedTtlSeconds: ttlSeconds, keys, keyCount: keys.length };
}

export function clientProcess(
  overrides: Partial<EtcdClientProcess> & Pick<EtcdClientProcess, 'program'>,
): EtcdClientProcess {
  return {
    pid: 900,
    uid: 0,
    api: 'v3',
    endpoints: ['http://127.0.0.1:2379'],
    credentialsSet: false,
    username: undefined,
    clientCertificate: false,
    configFile: undefined,
    configReadable: undefined,
    keys: [],
    patroni: undefined,
    command: undefined,
    version: undefined,
    ...overrides,
  };
}

/** Two members of /service/alpha/ (the fleet's), each with its lease, alpha-1 the leader. */
export const ALPHA_KEYS: Array<[string, number, string?]> = [
  ['/service/alpha/config', 5],
  ['/service/alpha/initialize', 4],
  ['/service/alpha/leader', 120, '1001'],
  ['/service/alpha/members/alpha-1', 121, '1001'],
  ['/service/alpha/members/alpha-2', 122, '1002'],
];
export const ALPHA_LEASES = [
  lease('1001', ['/service/alpha/leader', '/service/alpha/members/alpha-1']),
  lease('1002', ['/service/alpha/members/alpha-2']),
];
