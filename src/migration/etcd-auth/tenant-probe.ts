import { randomBytes } from 'node:crypto';
import { type EnforceFailureKind, classifyTenantFailure } from '../../core/migration/enforce-failure.js';
import { type TenantIsolationResult, probeTenantIsolation } from '../../fleet/tenant-isolation-probe.js';
import type { FleetConnection } from '../../fleet/fleet-connection.js';
import { probeDeclaredClient } from '../../fleet/declared-client-probe.js';

export interface TenantProbeResult {
  cluster: string;
  user: string;
  ok: boolean;
  detail: string;
  /** Why it failed: what the hint names. */
  cause?: EnforceFailureKind | undefined;
  /** A declared client's probe (tenants file `clients:`), not a tenant's: its name. */
  client?: string | undefined;
  /** Not probed (no credentials on this host): not a failure, not a proof either. */
  notProbed?: boolean | undefined;
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
  const [tenants, clients] = await Promise.all([
    Promise.all(
      clusters.map((cluster) =>
        probeTenant(
          connection,
          cluster,
          clusters.find((other) => other !== cluster),
        ),
      ),
    ),
    probeDeclaredClients(connection, clusters),
  ]);
  return [...tenants, ...clients];
}

/**
 * Each client the tenants file declares, with its own credentials: it reads
 * what it must read, and is denied a write (where it only reads) and a
 * neighbour cluster's keys. A client whose password is not on this host
 * fails: enforce's gates refuse that before auth goes on.
 */
async function probeDeclaredClients(connection: FleetConnection, clusters: string[]): Promise<TenantProbeResult[]> {
  const directory = connection.tenants;
  return Promise.all(
    (directory.clients ?? []).map(async (client): Promise<TenantProbeResult> => {
      const base = {
        cluster: client.cluster ? `${client.cluster.namespace}${client.cluster.scope}` : client.grant.key,
        user: client.user,
        client: client.name,
      };
      const credentials = await directory.credentialsOfUser?.(client.user);
      if (!credentials)
        return {
          ...base,
          ok: false,
          detail: `declared client ${client.name}: no credentials on this host to prove it with`,
        };
      const own = client.cluster ? `${client.cluster.namespace}${client.cluster.scope}` : undefined;
      const neighbour = clusters.find((cluster) => cluster !== own && !client.grant.key.startsWith(`${cluster}/`));
      const probe = await probeDeclaredClient({
        endpoints: connection.endpoints,
        tls: connection.tls,
        client,
        credentials,
        neighbourKey: neighbour ? `${neighbour}/leader` : undefined,
      });
      return { ...base, ok: probe.ok, detail: `declared client ${client.name} (${client.kind}): ${probe.detail}` };
    }),
  );
}

async function probeTenant(
  connection: FleetConnection,
  cluster: string,
  neighbour: string | undefined,
): Promise<TenantProbeResult> {
  const split = cluster.lastIndexOf('/', cluster.length - 1);
  const credentials = await connection.tenants.credentialsFor(cluster.slice(0, split + 1), cluster.slice(split + 1));
  if (!credentials)
    return {
      cluster,
      user: connection.tenants.userFor(cluster.slice(0, split + 1), cluster.slice(split + 1)) ?? '?',
      ok: true,
      notProbed: true,
      detail: 'not probed: no credentials for it on this host',
    };
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
