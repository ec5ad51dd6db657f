import { PgfleetError } from '../../core/errors.js';
import type { FleetConnection } from '../../fleet/fleet-connection.js';
import type { SettingsTenantDirectory } from '../../fleet/settings-tenant-directory.js';

/** The fleet a rotation works on: the connection every feature uses, with tenants that have password files here. */
export type RotationFleet = FleetConnection & { tenants: SettingsTenantDirectory };

/** Which clusters to rotate: scopes (`alpha`, or `/service/alpha`), or every cluster with `all`. */
export interface RotationSelection {
  scopes: string[];
  all: boolean;
}

/** Whether a cluster key (`/service/alpha`) is the one a scope argument names. */
export function selects(cluster: string, scope: string): boolean {
  return cluster === scope || cluster === `/${scope.replace(/^\/+|\/+$/g, '')}` || cluster.endsWith(`/${scope}`);
}

/** The tenant user of a cluster, as the settings name it. */
export function tenantUserOf(fleet: Pick<RotationFleet, 'tenants'>, namespace: string, scope: string): string {
  const user = fleet.tenants.userFor(namespace, scope);
  if (!user)
    throw new PgfleetError('ROTATION_NO_TENANT', `${namespace}${scope} has no tenant user`, {
      hint: '`pgfleet etcd tenants plan` shows the tenants',
    });
  return user;
}
