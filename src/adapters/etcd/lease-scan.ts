import { mapWithConcurrency } from '../../core/bounded-concurrency.js';
import type { LeaseCensus, LeaseFootprint } from '../../core/census/etcd-census.js';
import { compareText } from '../../core/census/keyspace-tally.js';
import type { EtcdClient } from './etcd-client.js';

export interface LeaseScanOptions {
  /** Time-to-live requests in flight at once. */
  concurrency?: number | undefined;
  /** Leases looked at; the others are only counted. */
  maxLeases?: number | undefined;
  /** Keys listed per lease; all are counted. */
  maxKeysListed?: number | undefined;
}

/**
 * Every lease (`/v3/lease/leases`) with its TTL and keys (`/v3/lease/timetolive`
 * with `keys: true`), a bounded number of requests at a time. A lease that
 * expired between the two calls (TTL -1) is counted, not listed.
 */
export async function scanLeases(client: EtcdClient, options: LeaseScanOptions = {}): Promise<LeaseCensus> {
  const maxLeases = options.maxLeases ?? 10_000;
  const maxKeys = options.maxKeysListed ?? 16;
  const listed = await client.call<{ leases?: Array<{ ID: string }> }>('/v3/lease/leases', {});
  const ids = (listed.leases ?? []).map((lease) => lease.ID);
  const looked = ids.slice(0, maxLeases);
  const answers = await mapWithConcurrency(looked, options.concurrency ?? 8, async (id) =>
    client.call<{ ID: string; TTL?: string; grantedTTL?: string; keys?: string[] }>('/v3/lease/timetolive', {
      ID: id,
      keys: true,
    }),
  );
  const leases: LeaseFootprint[] = [];
  let expiredMeanwhile = 0;
  for (const answer of answers) {
    const ttl = Number(answer.TTL ?? -1);
    if (ttl < 0) {
      expiredMeanwhile += 1;
      continue;
    }
    // etcd answers a lease's keys in no set order.
    const keys = (answer.keys ?? []).map((key) => Buffer.from(key, 'base64').toString('utf8')).sort(compareText);
    leases.push({
      id: answer.ID,
      ttlSeconds: ttl,
      grantedTtlSeconds: Number(answer.grantedTTL ?? 0),
      keys: keys.slice(0, maxKeys),
      keyCount: keys.length,
    });
  }
  leases.sort((a, b) => compareText(a.keys[0] ?? '', b.keys[0] ?? '') || compareText(a.id, b.id));
  return { leases, notListed: ids.length - looked.length, expiredMeanwhile };
}
