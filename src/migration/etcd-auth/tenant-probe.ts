import { randomBytes } from 'node:crypto';
import { type EnforceFailureKind, classifyTenantFailure } from '../../core/migration/enforce-failure.js';
import { type TenantIsolationResult, probeTenantIsolation } from '../../fleet/tenant-isolation-probe.js';
import type { FleetConnection } from '../../fleet/fleet-connection.js';

export interface TenantProbeResult {
  cluster: string;
  user: string;
  ok: boolean;
  detail: string;
  /** Why it failed: what the hint names. */
  cause?: EnforceFailureKind | undefined;
}

/**
 * Each tenant with its own credentials (those this host holds): PUT, GET and
 * DELETE a key in its own prefix must work; a neighbour cluster's prefix and
 * a key outside every cluster prefix must be denied. The probe is `etcd
 * tenants verify`'s, against one neighbour instead of every other tenant
 * (enforce keeps auth-on time short); tenants are probed in parallel.
 */
export async function probeTenantCredentials(
  connection: FleetConnection,
  clusters: string[],
): Promise<TenantProbeResult[]> {
  const results = await Promise.all(
    clusters.map((cluster) =>
      probeTenant(
        connection,
        cluster,
        clusters.find((other) => other !== cluster),
      ),
    ),
  );
  return results.filter((result): result is TenantProbeResult => result !== undefined);
}

async function probeTenant(
  connection: FleetConnection,
  cluster: string,
  neighbour: string | undefined,
): Promise<TenantProbeResult | undefined> {
  const split = cluster.lastIndexOf('/', cluster.length - 1);
  const credentials = await connection.tenants.credentialsFor(cluster.slice(0, split + 1), cluster.slice(split + 1));
  if (!credentials) return undefined;
  const probe = await probeTenantIsolation({
    endpoints: connection.endpoints,
    tls: connection.tls,
    tenant: { tenant: cluster, prefix: `${cluster}/` },
    credentials,
    others: neighbour ? [{ tenant: neighbour, prefix: `${neighbour}/` }] : [],
    outsideKey: `/pgfleet-outside-probe-${randomBytes(4).toString('hex')}`,
  });
  return {
    cluster,
    user: credentials.username,
    ok: probe.ok,
    detail: probeDetail(probe, neighbour),
    ...(probe.ok
      ? {}
      : {
          cause: classifyTenantFailure({
            ownPrefixOk: probe.ownPrefix.ok,
            ownPrefixDetail: probe.ownPrefix.detail,
            breaches: probe.breaches.length,
            errors: probe.errors,
          }),
        }),
  };
}

function probeDetail(probe: TenantIsolationResult, neighbour: string | undefined): string {
  if (probe.ok) return `own prefix read/write; denied ${neighbour ? `on ${neighbour}/ and ` : ''}outside`;
  if (!probe.ownPrefix.ok) return probe.ownPrefix.detail;
  if (probe.breaches.length > 0)
    return `could ${probe.breaches.map((breach) => `${breach.op} ${breach.key}`).join(' and ')}, outside its prefix: its role is too wide`;
  return probe.errors.join('; ');
}
