import { ETCD_V3_MIGRATION_KEY, type EtcdV3RunState } from '../../core/migration/etcd-v3-run.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { RunStateStore } from '../../fleet/run-state-store.js';

/** The last `etcd v3 migrate` run as recorded in etcd (any host reads it). */
export async function readEtcdV3RunState(admin: EtcdClient): Promise<EtcdV3RunState | undefined> {
  return new RunStateStore<EtcdV3RunState>(admin, ETCD_V3_MIGRATION_KEY).read();
}
