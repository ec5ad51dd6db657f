import { randomBytes } from 'node:crypto';
import { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { EtcdError } from '../../adapters/etcd/etcd-error.js';
import type { FleetConnection } from './enforce-run.js';

export interface TenantProbeResult {
  cluster: string;
  user: string;
  ok: boolean;
  detail: string;
}

/**
 * Each tenant with its own credentials (those this host holds): PUT, GET and
 * DELETE a key in its own prefix must work; a write outside every cluster
 * prefix must be denied.
 */
export async function probeTenantCredentials(connection: FleetConnection, clusters: string[]): Promise<TenantProbeResult[]> {
  const results: TenantProbeResult[] = [];
  for (const cluster of clusters) {
    const split = cluster.lastIndexOf('/', cluster.length - 1);
    const namespace = cluster.slice(0, split + 1);
    const scope = cluster.slice(split + 1);
    const credentials = await connection.tenants.credentialsFor(namespace, scope);
    if (!credentials) continue;
    const client = new EtcdClient({ endpoints: connection.endpoints, tls: connection.tls, credentials });
    const token = randomBytes(4).toString('hex');
    const own = `${cluster}/pgfleet-probe-${token}`;
    try {
      await client.put(own, token);
      const read = await client.get(own);
      await client.delete(own);
      if (read?.value !== token) {
        results.push({ cluster, user: credentials.username, ok: false, detail: 'read back a different value in its own prefix' });
        continue;
      }
      try {
        await client.put(`/pgfleet-outside-probe-${token}`, token);
        results.push({ cluster, user: credentials.username, ok: false, detail: 'could write outside its prefix: its role is too wide' });
      } catch (error) {
        if (error instanceof EtcdError && error.kind === 'permission-denied') results.push({ cluster, user: credentials.username, ok: true, detail: 'own prefix read/write; denied outside' });
        else throw error;
      }
    } catch (error) {
      results.push({ cluster, user: credentials.username, ok: false, detail: error instanceof Error ? error.message : String(error) });
    } finally {
      await client.close();
    }
  }
  return results;
}
