import type { FleetMember } from './fleet-member.js';

/**
 * What `etcd auth apply` records for a member once its Patroni YAML carries
 * the tenant's credentials and Patroni reloaded it. No password, only the
 * user name and a hash of the configuration file.
 */
export interface ReadinessRecord {
  namespace: string;
  scope: string;
  member: string;
  username: string;
  configSha256: string;
  host: string;
  appliedAt: string;
}

/** pgfleet's own keys in etcd; only root can read or write them once auth is on. */
export const PGFLEET_PREFIX = '/pgfleet/';
export const AUTH_MIGRATION_KEY = `${PGFLEET_PREFIX}migrations/etcd-auth`;

export function readinessKey(member: Pick<FleetMember, 'namespace' | 'scope' | 'name'>): string {
  return `${PGFLEET_PREFIX}readiness/etcd-auth${member.namespace}${member.scope}/${member.name}`;
}

export const READINESS_PREFIX = `${PGFLEET_PREFIX}readiness/etcd-auth/`;
