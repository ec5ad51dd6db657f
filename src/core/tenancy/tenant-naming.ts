import { PgfleetError } from '../errors.js';

const SCOPE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** The etcd user or role name of a cluster's tenant, from a format such as `patroni-{scope}`. */
export function tenantName(format: string, scope: string): string {
  if (!SCOPE.test(scope)) {
    throw new PgfleetError('TENANT_BAD_SCOPE', `scope "${scope}" cannot name a tenant: expected letters, digits, ".", "_" or "-", and no "/"`, { hint: 'rename the cluster or list it in the tenants file with an explicit user name' });
  }
  return format.replaceAll('{scope}', scope);
}
