import { randomBytes } from 'node:crypto';
import { type TenantIsolationResult, probeTenantIsolation } from '../../tenancy/tenant-isolation-probe.js';
import type { FleetConnection } from './enforce-run.js';

export interface TenantProbeResult {
  cluster: string;
  user: string;
  ok: boolean;
  detail: string;
}

/**
 * Each tenant with its own credentials (those this host holds): PUT, GET and
 * DELETE a key in its own prefix must work; reading and writing outside
 * every cluster prefix must be denied. The probe is `etcd tenants verify`'s,
 * without the other tenants' prefixes (enforce keeps auth-on time short).
 */
export async function probeTenantCredentials(connection: FleetConnection, clusters: string[]): Promise<TenantProbeResult[]> {
  const results: TenantProbeResult[] = [];
  for (const cluster of clusters) {
    const split = cluster.lastIndexOf('/', cluster.length - 1);
    const credentials = await connection.tenants.credentialsFor(cluster.slice(0, split + 1), cluster.slice(split + 1));
    if (!credentials) continue;
    const probe = await probeTenantIsolation({
      endpoints: connection.endpoints,
      tls: connection.tls,
      tenant: { tenant: cluster, prefix: `${cluster}/` },
      credentials,
      others: [],
      outsideKey: `/pgfleet-outside-probe-${randomBytes(4).toString('hex')}`,
    });
    results.push({ cluster, user: credentials.username, ok: probe.ok, detail: probeDetail(probe) });
  }
  return results;
}

function probeDetail(probe: TenantIsolationResult): string {
  if (probe.ok) return 'own prefix read/write; denied outside';
  if (!probe.ownPrefix.ok) return probe.ownPrefix.detail;
  if (probe.breaches.length > 0) return `could ${probe.breaches.map((breach) => `${breach.op} ${breach.key}`).join(' and ')} outside its prefix: its role is too wide`;
  return probe.errors.join('; ');
}
