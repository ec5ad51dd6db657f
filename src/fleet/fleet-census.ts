import { PGFLEET_PREFIX } from '../core/migration/readiness-record.js';
import { type ClientAccount, type KnownClients, accountForClients } from '../core/census/client-accounting.js';
import type { EtcdCensus } from '../core/census/etcd-census.js';
import type { DeclaredClient } from '../core/tenancy/declared-clients.js';
import { type EtcdCensusOptions, takeEtcdCensus } from '../adapters/etcd/etcd-census-scan.js';
import type { EtcdClient } from '../adapters/etcd/etcd-client.js';

/** What the fleet knows of the etcd's clients: the census is set against it. */
export interface FleetCensusScope {
  /** Namespaces the settings name (patroni.etcd.namespace and tenancy.namespaces). */
  namespaces: readonly string[];
  /** The fleet's Patroni members, as discovery found them under those namespaces. */
  patroniMembers: ReadonlyArray<{ namespace: string; scope: string; name: string }>;
  /** Each tenant's prefix (`/service/alpha/`), from the DCS and the tenants file. */
  tenantPrefixes: readonly string[];
  declaredClients: readonly DeclaredClient[];
}

export interface FleetCensus {
  census: EtcdCensus;
  account: ClientAccount;
}

/**
 * The census of the fleet's etcd, taken as admin (read-only, bounded), and
 * every Patroni cluster, writer, lease, watcher and client process in it set
 * against what the fleet knows: its members, its tenants, the clients the
 * tenants file declares and pgfleet itself.
 */
export async function takeFleetCensus(
  admin: EtcdClient,
  scope: FleetCensusScope,
  options: Pick<EtcdCensusOptions, 'writtenSince' | 'observeMs'> = {},
): Promise<FleetCensus> {
  const known = knownClientsOf(scope);
  const census = await takeEtcdCensus(admin, {
    ...options,
    bucketPrefixes: [
      ...known.tenants.map((tenant) => tenant.prefix),
      PGFLEET_PREFIX,
      ...scope.declaredClients.flatMap((client) => client.keys.filter((key) => key.prefix).map((key) => key.key)),
    ],
  });
  return { census, account: accountForClients(census, known) };
}

function knownClientsOf(scope: FleetCensusScope): KnownClients {
  return {
    namespaces: scope.namespaces,
    patroniMembers: scope.patroniMembers,
    tenants: [...new Set(scope.tenantPrefixes)].map((prefix) => ({ prefix })),
    declaredClients: scope.declaredClients,
    pgfleetPrefix: PGFLEET_PREFIX,
  };
}
