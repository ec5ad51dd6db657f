import { EtcdAuthApi } from '../../adapters/etcd/auth-api.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import type { FleetConnection } from '../../fleet/fleet-connection.js';

export interface AdminCheck {
  works: boolean;
  problem?: string;
}

/**
 * For enforce. With auth off a password cannot be checked, and a wrong root
 * password would leave pgfleet unable to switch auth off again. So while auth
 * is off, pgfleet sets root's password to the one it holds: the way back is
 * known to work before the way forward is taken.
 */
export async function ensureAdminIdentity(
  connection: FleetConnection,
  admin: EtcdClient,
  authEnabled: boolean,
): Promise<AdminCheck> {
  return checkAdmin(connection, admin, authEnabled, true);
}

/** For plan and status: the same checks, changing nothing (with auth off the password itself cannot be checked). */
export async function inspectAdminIdentity(
  connection: FleetConnection,
  admin: EtcdClient,
  authEnabled: boolean,
): Promise<AdminCheck> {
  return checkAdmin(connection, admin, authEnabled, false);
}

async function checkAdmin(
  connection: FleetConnection,
  admin: EtcdClient,
  authEnabled: boolean,
  setPassword: boolean,
): Promise<AdminCheck> {
  const auth = new EtcdAuthApi(admin);
  try {
    if (authEnabled) {
      await admin.authenticate(connection.admin);
      return { works: true };
    }
    const root = await auth.getUser(connection.admin.username);
    if (!root)
      return {
        works: false,
        problem: `user ${connection.admin.username} does not exist (run \`pgfleet etcd auth prepare\`)`,
      };
    if (!root.roles.includes('root'))
      return { works: false, problem: `user ${connection.admin.username} does not hold the root role` };
    if (setPassword) await auth.changePassword(connection.admin.username, connection.admin.password);
    return { works: true };
  } catch (error) {
    return { works: false, problem: error instanceof Error ? error.message : String(error) };
  }
}
