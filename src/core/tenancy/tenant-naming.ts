import { PgfleetError } from '../errors.js';

const SCOPE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
/** etcd accepts any name; pgfleet also uses it as a file name (`<user>.password`). */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;

/**
 * Refuses a scope that cannot be isolated: empty (the role would cover the
 * whole namespace) or with a "/" (its prefix would nest inside another
 * cluster's). `origin` says where it came from (DCS key, file:line).
 */
export function checkScope(scope: string, origin?: string): void {
  const where = origin ? ` (${origin})` : '';
  if (scope.length === 0) {
    throw new PgfleetError('TENANT_BAD_SCOPE', `empty cluster scope${where}: its prefix would be the whole namespace`, {
      hint: 'give the cluster a scope; a DCS key such as /service//members/x comes from a Patroni configured without one',
    });
  }
  if (scope.includes('/')) {
    throw new PgfleetError('TENANT_BAD_SCOPE', `scope "${scope}"${where} contains "/": its prefix would nest inside another cluster's and could not be isolated`, {
      hint: 'rename the cluster; if the part before the "/" is a namespace of its own, add it to tenancy.namespaces in the settings',
    });
  }
  if (!SCOPE.test(scope)) {
    throw new PgfleetError('TENANT_BAD_SCOPE', `scope "${scope}"${where} cannot name a tenant: expected letters, digits, ".", "_" or "-"`, {
      hint: 'rename the cluster or list it in the tenants file with an explicit user name',
    });
  }
}

/** Refuses an etcd user or role name pgfleet could not also use as a file name. */
export function checkTenantName(name: string, what: 'user' | 'role', origin?: string): void {
  if (!NAME.test(name)) {
    throw new PgfleetError('TENANT_BAD_NAME', `${what} name "${name}"${origin ? ` (${origin})` : ''} is not usable: expected letters, digits, ".", "_", "@" or "-", starting with a letter or digit`, {
      hint: `choose another ${what} name`,
    });
  }
}

/** The etcd user or role name of a cluster's tenant, from a format such as `patroni-{scope}`. */
export function tenantName(format: string, scope: string, origin?: string): string {
  checkScope(scope, origin);
  return format.replaceAll('{scope}', scope);
}

/**
 * Recognises names a format produces (`patroni-{scope}` → `patroni-alpha`):
 * how orphans (users and roles of clusters that are gone) are told apart
 * from users pgfleet did not create.
 */
export function namePattern(format: string): RegExp {
  const [before, ...rest] = format.split('{scope}');
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp(`^${escape(before ?? '')}${rest.map((part) => `[A-Za-z0-9][A-Za-z0-9_.-]*${escape(part)}`).join('')}$`);
}
