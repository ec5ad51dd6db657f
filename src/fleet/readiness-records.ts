import { READINESS_PREFIX, type ReadinessRecord } from '../core/migration/readiness-record.js';
import { memberId } from '../core/migration/fleet-member.js';
import type { EtcdClient } from '../adapters/etcd/etcd-client.js';

/** Every readiness record `etcd auth apply` wrote, keyed by member id (`/service/alpha/alpha-1`). Needs admin rights once auth is on. */
export async function readReadinessRecords(admin: EtcdClient): Promise<Map<string, ReadinessRecord>> {
  return readMemberRecords<ReadinessRecord>(admin, READINESS_PREFIX);
}

/** Every per-member record (JSON naming its namespace, scope and member) under a prefix of pgfleet's, keyed by member id. */
export async function readMemberRecords<T extends { namespace: string; scope: string; member: string }>(
  admin: EtcdClient,
  prefix: string,
): Promise<Map<string, T>> {
  const records = new Map<string, T>();
  for (const entry of await admin.getPrefix(prefix)) {
    const record = JSON.parse(entry.value) as T;
    records.set(memberId({ namespace: record.namespace, scope: record.scope, name: record.member }), record);
  }
  return records;
}
