import type { EnforceState } from '../../core/migration/enforce-state.js';
import { AUTH_MIGRATION_KEY } from '../../core/migration/readiness-record.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { RunStateStore } from '../../fleet/run-state-store.js';

/** The last enforce run's state as recorded in etcd (the record, not the fleet). */
export async function readEnforceState(admin: EtcdClient): Promise<EnforceState | undefined> {
  return new RunStateStore<EnforceState>(admin, AUTH_MIGRATION_KEY).read();
}
