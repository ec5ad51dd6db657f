import { ROOT_ROLE } from '../etcd/auth-model.js';
import { type LocatedProblem, locatedProblemsError } from '../yaml/located-yaml.js';
import { type ClusterRef, type Tenant, type TenantSource, tenantPrefix } from './tenant.js';
import { nameProblem, scopeProblem } from './tenant-naming.js';
import type { ListedTenant } from './tenants-file.js';

/** How tenants are named, from the settings (`tenancy`, `etcd_admin`, `patroni.etcd.namespace`). */
export interface TenantNaming {
  userFormat: string;
  roleFormat: string;
  /** Namespace of a listed tenant that names none: patroni.etcd.namespace. */
  defaultNamespace: string;
  /** pgfleet's own etcd identity: no tenant may use it. */
  adminUser: string;
}

/** Where the desired tenants come from. */
export interface TenantSources {
  /** Clusters of the instances pgfleet manages on this host. */
  managed: readonly ClusterRef[];
  /** Clusters with members in the DCS. */
  discovered: readonly ClusterRef[];
  /** The tenants file. */
  listed: readonly ListedTenant[];
}

/** `<namespace><scope>`: how a cluster is named in messages (as `etcd auth` names it). */
export function tenantId(tenant: Pick<Tenant, 'namespace' | 'scope'>): string {
  return `${tenant.namespace}${tenant.scope}`;
}

/** A cluster's etcd user and role: the tenants file's names, else the formats'. */
export function tenantNames(
  naming: TenantNaming,
  listed: readonly ListedTenant[],
  namespace: string,
  scope: string,
): { user: string; role: string } {
  return namesOf(
    naming,
    scope,
    listed.find(
      (candidate) => (candidate.namespace ?? naming.defaultNamespace) === namespace && candidate.scope === scope,
    ),
  );
}

function namesOf(naming: TenantNaming, scope: string, entry: ListedTenant | undefined): { user: string; role: string } {
  return {
    user: entry?.user ?? naming.userFormat.replaceAll('{scope}', scope),
    role: entry?.role ?? naming.roleFormat.replaceAll('{scope}', scope),
  };
}

/**
 * The tenants the shared etcd must hold: a pure function of the clusters
 * pgfleet manages, the clusters found in the DCS and the tenants file. One
 * tenant per cluster (namespace + scope), sorted by prefix. Refuses, with
 * every problem located, a scope that cannot be isolated, a name etcd or
 * pgfleet cannot use, two clusters sharing a user or a role, and a tenant
 * named like the admin identity or etcd's root.
 */
export function desiredTenants(sources: TenantSources, naming: TenantNaming): Tenant[] {
  const byCluster = new Map<string, { namespace: string; scope: string; sources: TenantSource[]; origin: string }>();
  const add = (namespace: string, scope: string, source: TenantSource, origin: string): void => {
    const id = `${namespace}\u0000${scope}`;
    const known = byCluster.get(id);
    if (!known) byCluster.set(id, { namespace, scope, sources: [source], origin });
    else if (!known.sources.includes(source)) known.sources.push(source);
  };
  for (const cluster of sources.managed) add(cluster.namespace, cluster.scope, 'managed', cluster.origin);
  for (const cluster of sources.discovered) add(cluster.namespace, cluster.scope, 'dcs', cluster.origin);
  const listedByCluster = new Map<string, ListedTenant>();
  for (const entry of sources.listed) {
    const namespace = entry.namespace ?? naming.defaultNamespace;
    listedByCluster.set(`${namespace}\u0000${entry.scope}`, entry);
    add(namespace, entry.scope, 'tenants-file', entry.origin);
  }

  const problems: LocatedProblem[] = [];
  const problem = (code: string, origin: string, field: string, message: string, hint: string): void => {
    problems.push({ code, location: origin, field, message, hint });
  };
  const tenants: Tenant[] = [];
  const owners = { user: new Map<string, Tenant>(), role: new Map<string, Tenant>() };
  for (const [id, cluster] of byCluster) {
    const badScope = scopeProblem(cluster.scope);
    if (badScope) {
      problem('TENANT_BAD_SCOPE', cluster.origin, 'scope', badScope.message, badScope.hint);
      continue;
    }
    const tenant: Tenant = {
      namespace: cluster.namespace,
      scope: cluster.scope,
      prefix: tenantPrefix(cluster.namespace, cluster.scope),
      ...namesOf(naming, cluster.scope, listedByCluster.get(id)),
      sources: cluster.sources,
    };
    for (const what of ['user', 'role'] as const) {
      const name = tenant[what];
      const badName = nameProblem(name, what);
      if (badName)
        problem('TENANT_BAD_NAME', cluster.origin, what, `${tenantId(tenant)}: ${badName.message}`, badName.hint);
      if (name === ROOT_ROLE || (what === 'user' && name === naming.adminUser)) {
        problem(
          'TENANT_NAME_RESERVED',
          cluster.origin,
          what,
          `${tenantId(tenant)}: ${what} "${name}" is pgfleet's admin identity or etcd's root: a tenant holding it could reach every cluster`,
          `name the tenant's ${what} otherwise in the tenants file, or change tenancy.${what}_format`,
        );
      }
      const other = owners[what].get(name);
      if (other) {
        problem(
          'TENANT_NAME_SHARED',
          cluster.origin,
          what,
          `${what} "${name}" would serve both ${tenantId(other)} and ${tenantId(tenant)}: one ${what} per cluster keeps clusters apart`,
          `give one of them its own ${what} in the tenants file (tenancy.tenants_file)`,
        );
      } else owners[what].set(name, tenant);
    }
    tenants.push(tenant);
  }
  if (problems.length > 0) throw locatedProblemsError(problems);
  return tenants.sort((a, b) => Buffer.compare(Buffer.from(a.prefix), Buffer.from(b.prefix)));
}
