import { READINESS_PREFIX, type ReadinessRecord } from '../core/migration/readiness-record.js';
import { memberId } from '../core/migration/fleet-member.js';
import type { EtcdClient } from '../adapters/etcd/etcd-client.js';

/** Every readiness record `etcd auth apply` wrote, keyed by member id (`/service/alpha/alpha-1`). Needs admin rights once auth is on. */
export async function readReadinessRecords(admin: EtcdClient): Promise<Map<string, ReadinessRecord>> {
  const readiness = new Map<string, ReadinessRecord>();
  for (const entry of await admin.getPrefix(READINESS_PREFIX)) {
    const record = JSON.parse(entry.value) as ReadinessRecord;
    readiness.set(memberId({ namespace: record.namespace, scope: record.scope, name: record.member }), record);
  }
  return readiness;
}
