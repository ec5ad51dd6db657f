import { clustersFromMemberKeys } from '../core/tenancy/cluster-discovery.js';
import type { ClusterRef } from '../core/tenancy/tenant.js';
import type { EtcdClient } from '../adapters/etcd/etcd-client.js';

/** Every cluster with a member key under the scanned namespaces (keys only: values are not needed). */
export async function discoverClusters(client: EtcdClient, namespaces: readonly string[]): Promise<ClusterRef[]> {
  const keys = new Set<string>();
  for (const namespace of new Set(namespaces)) {
    for (const entry of await client.getPrefix(namespace, { keysOnly: true })) keys.add(entry.key);
  }
  return clustersFromMemberKeys(namespaces, keys);
}
