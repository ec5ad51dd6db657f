/** Where pgfleet learnt that a cluster exists. */
export type TenantSource = 'managed' | 'dcs' | 'tenants-file';

/** A Patroni cluster as found somewhere (an instance's YAML, the DCS, the tenants file). */
export interface ClusterRef {
  /** Patroni namespace, with both slashes: `/service/`. */
  namespace: string;
  scope: string;
  /** Where it was found, for messages: a DCS key, a file and line. */
  origin: string;
}

/**
 * A tenant of the shared etcd: one Patroni cluster, its etcd user and role,
 * and the prefix the role may read and write (trailing slash included, so
 * `alpha` never covers `alpha2`).
 */
export interface Tenant {
  namespace: string;
  scope: string;
  prefix: string;
  user: string;
  role: string;
  sources: TenantSource[];
}

/** `/<namespace>/<scope>/`: the keys Patroni reads and writes for the cluster. */
export function tenantPrefix(namespace: string, scope: string): string {
  return `${namespace}${scope}/`;
}
