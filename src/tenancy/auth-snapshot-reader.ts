import { mapWithConcurrency } from '../core/bounded-concurrency.js';
import type { AuthSnapshot } from '../core/etcd/auth-model.js';
import { PgfleetError } from '../core/errors.js';
import { EtcdAuthApi } from '../adapters/etcd/auth-api.js';
import type { EtcdClient } from '../adapters/etcd/etcd-client.js';
import type { EtcdAccess } from '../adapters/settings/etcd-access.js';
import { EtcdError } from '../adapters/etcd/etcd-error.js';

/** Calls to etcd at once when reading many users or roles. */
export const AUTH_READ_CONCURRENCY = 16;

/**
 * Every user (with its roles) and role (with its ranges) of etcd's auth
 * store, and whether auth is on. A wrong admin password (auth on) or an
 * admin without the root role is reported as such.
 */
export async function readAuthSnapshot(
  admin: EtcdClient,
  access: Pick<EtcdAccess, 'admin' | 'adminPasswordSource'>,
): Promise<AuthSnapshot> {
  const credentials = access.admin;
  const authEnabled = await admin.isAuthEnabled();
  const auth = new EtcdAuthApi(admin);
  try {
    // The first call authenticates (with auth on): a wrong admin password fails here, before anything is read or changed.
    const [userNames, roleNames] = [await auth.listUsers(), await auth.listRoles()];
    const users = await mapWithConcurrency(
      userNames,
      AUTH_READ_CONCURRENCY,
      async (name) => (await auth.getUser(name)) ?? { name, roles: [] },
    );
    const roles = await mapWithConcurrency(
      roleNames,
      AUTH_READ_CONCURRENCY,
      async (name) => (await auth.getRole(name)) ?? { name, permissions: [] },
    );
    return { authEnabled, users, roles };
  } catch (error) {
    if (error instanceof EtcdError && (error.kind === 'authentication-failed' || error.kind === 'user-not-found')) {
      throw new PgfleetError(
        'ETCD_ADMIN_REJECTED',
        `etcd refused the admin credentials of user ${credentials.username} (${admin.endpoints.join(', ')}): wrong password or unknown user; nothing was changed`,
        {
          hint: `check the admin password in ${access.adminPasswordSource} and etcd_admin.username`,
          cause: error,
        },
      );
    }
    if (error instanceof EtcdError && error.kind === 'permission-denied') {
      throw new PgfleetError(
        'ETCD_ADMIN_NOT_ROOT',
        `etcd user ${credentials.username} may not read the users and roles: it does not hold the root role`,
        { hint: 'set etcd_admin.username to root (or a user holding the root role)', cause: error },
      );
    }
    throw error;
  }
}
