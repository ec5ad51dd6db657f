import { describeError } from '../core/errors.js';
import type { AuditGap, CensusFacts, EtcdFacts } from '../core/audit/fleet-snapshot.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { EtcdClient, type EtcdCredentials } from '../adapters/etcd/etcd-client.js';
import type { EtcdTlsFiles } from '../adapters/etcd/gateway-transport.js';
import { takeFleetCensus } from '../fleet/fleet-census.js';
import { tenantNamingFromSettings } from '../fleet/settings-tenant-directory.js';
import { loadTenantsFile } from '../fleet/tenants-file-loader.js';
import { declaredClient } from '../core/tenancy/declared-clients.js';

/**
 * The census of the etcd for the audit, the same one enforce's gates take:
 * every Patroni cluster whatever its namespace, writers, leases, watchers,
 * the v2 keyspace and this host's etcd clients, set against the clusters
 * the audit found, the tenants file's tenants and declared clients. What it
 * cannot take becomes a gap.
 */
export async function collectCensusFacts(
  target: {
    settings: SiteSettings;
    endpoints: string[];
    tls: EtcdTlsFiles;
    namespaces: string[];
    admin?: EtcdCredentials | undefined;
  },
  etcd: EtcdFacts,
  gaps: AuditGap[],
): Promise<CensusFacts | undefined> {
  if (etcd.authEnabled && !target.admin) {
    gaps.push({ what: 'the census of the etcd', reason: 'etcd auth is on and no admin credentials are available' });
    return undefined;
  }
  const client = new EtcdClient({ endpoints: target.endpoints, tls: target.tls, credentials: target.admin });
  try {
    const listed = await loadTenantsFile(target.settings.tenancy.tenants_file);
    const naming = tenantNamingFromSettings(target.settings);
    const declaredClients = listed.clients.map((entry) => declaredClient(entry, naming.defaultNamespace));
    const { census, account } = await takeFleetCensus(client, {
      namespaces: target.namespaces,
      patroniMembers: etcd.clusters.flatMap((cluster) =>
        cluster.members.map((member) => ({ namespace: cluster.namespace, scope: cluster.scope, name: member.name })),
      ),
      tenantPrefixes: [
        ...etcd.clusters.map((cluster) => `${cluster.namespace}${cluster.scope}/`),
        ...listed.tenants.map((tenant) => `${tenant.namespace ?? naming.defaultNamespace}${tenant.scope}/`),
      ],
      declaredClients,
    });
    return {
      subjects: account.subjects,
      acknowledged: listed.acknowledged.map(({ subject, reason, origin }) => ({ subject, reason, origin })),
      v2: {
        served: census.v2.served,
        authEnabled: census.v2.authEnabled,
        keyCount: census.v2.keyspace?.keyCount ?? 0,
      },
      declaredClients: declaredClients.map(({ name, kind, user, role, grant, origin }) => ({
        name,
        kind,
        user,
        role,
        grant,
        origin,
      })),
      incomplete: account.incomplete,
    };
  } catch (error) {
    gaps.push({ what: 'the census of the etcd', reason: `could not be taken: ${describeError(error)}` });
    return undefined;
  } finally {
    await client.close();
  }
}
