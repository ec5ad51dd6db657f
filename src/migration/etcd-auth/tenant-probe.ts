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
 * DELETE a key in its own prefix must work; reading a neighbour cluster's
 * prefix and writing outside every cluster prefix must be denied.
 */
export async function probeTenantCredentials(connection: FleetConnection, clusters: string[]): Promise<TenantProbeResult[]> {
  const results = await Promise.all(clusters.map((cluster) => probeTenant(connection, cluster, clusters.find((other) => other !== cluster))));
  return results.filter((result): result is TenantProbeResult => result !== undefined);
}

async function probeTenant(connection: FleetConnection, cluster: string, neighbour: string | undefined): Promise<TenantProbeResult | undefined> {
  const split = cluster.lastIndexOf('/', cluster.length - 1);
  const credentials = await connection.tenants.credentialsFor(cluster.slice(0, split + 1), cluster.slice(split + 1));
  if (!credentials) return undefined;
  const result = (ok: boolean, detail: string): TenantProbeResult => ({ cluster, user: credentials.username, ok, detail });
  const client = new EtcdClient({ endpoints: connection.endpoints, tls: connection.tls, credentials });
  const token = randomBytes(4).toString('hex');
  const own = `${cluster}/pgfleet-probe-${token}`;
  try {
    await client.put(own, token);
    const read = await client.get(own);
    await client.delete(own);
    if (read?.value !== token) return result(false, 'read back a different value in its own prefix');
    if (neighbour && !(await denied(() => client.getPrefix(`${neighbour}/`, { keysOnly: true, limit: 1 })))) {
      return result(false, `could read ${neighbour}/, another cluster's prefix: its role is too wide`);
    }
    const outside = `/pgfleet-outside-probe-${token}`;
    if (!(await denied(() => client.put(outside, token)))) {
      await client.delete(outside).catch(() => undefined);
      return result(false, 'could write outside its prefix: its role is too wide');
    }
    return result(true, `own prefix read/write; denied ${neighbour ? `on ${neighbour}/ and ` : ''}outside`);
  } catch (error) {
    return result(false, error instanceof Error ? error.message : String(error));
  } finally {
    await client.close();
  }
}

/** True when etcd refused the call for lack of permission; any other error is thrown. */
async function denied(call: () => Promise<unknown>): Promise<boolean> {
  try {
    await call();
    return false;
  } catch (error) {
    if (error instanceof EtcdError && error.kind === 'permission-denied') return true;
    throw error;
  }
}
