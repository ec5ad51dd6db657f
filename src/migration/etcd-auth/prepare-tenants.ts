import { stat } from 'node:fs/promises';
import { PgfleetError } from '../../core/errors.js';
import { type KeyRange, formatRange, prefixRange } from '../../core/etcd/key-range.js';
import { EtcdAuthApi } from '../../adapters/etcd/auth-api.js';
import type { EtcdClient, EtcdCredentials } from '../../adapters/etcd/etcd-client.js';
import type { Secret } from '../../core/secret.js';
import { discoverPatroniMembers } from '../../adapters/etcd/patroni-members.js';
import { ensureDirectory } from '../../adapters/fs/atomic-file.js';
import { generatePassword, readSecretFile, writeSecretFile } from '../../adapters/fs/secret-file.js';
import type { SettingsTenantDirectory } from '../../tenancy/settings-tenant-directory.js';

/**
 * `etcd auth prepare`: root (holding the root role) and, for every cluster
 * found in the DCS, a user and a role with readwrite on exactly
 * `/<namespace>/<scope>/` (with the slash). Passwords are generated once, kept
 * in 0600 files and reused; none is ever printed. Idempotent.
 */
export async function prepareTenants(options: { admin: EtcdClient; adminCredentials: EtcdCredentials; namespaces: string[]; tenants: SettingsTenantDirectory }): Promise<string[]> {
  const actions: string[] = [];
  const auth = new EtcdAuthApi(options.admin);
  await ensureDirectory(options.tenants.secretsDir, 0o700);
  const info = await stat(options.tenants.secretsDir);
  if ((info.mode & 0o077) !== 0) {
    throw new PgfleetError('SECRETS_DIR_OPEN', `${options.tenants.secretsDir} is readable by group or others`, { hint: `chmod 700 ${options.tenants.secretsDir}` });
  }

  const root = await auth.getUser(options.adminCredentials.username);
  if (!root) {
    await auth.addUser(options.adminCredentials.username, options.adminCredentials.password);
    actions.push(`create user ${options.adminCredentials.username}`);
  }
  if (!root?.roles.includes('root')) {
    await auth.grantRole(options.adminCredentials.username, 'root');
    actions.push(`grant role root to ${options.adminCredentials.username}`);
  }

  const clusters = new Map<string, { namespace: string; scope: string }>();
  for (const member of await discoverPatroniMembers(options.admin, options.namespaces)) clusters.set(`${member.namespace}${member.scope}`, member);
  for (const { namespace, scope } of clusters.values()) {
    const user = options.tenants.userFor(namespace, scope);
    const roleName = options.tenants.roleFor(scope);
    const wanted: KeyRange = prefixRange(`${namespace}${scope}/`);
    const role = await auth.getRole(roleName);
    if (!role) {
      await auth.addRole(roleName);
      actions.push(`create role ${roleName}`);
    }
    const granted = role?.permissions.some((p) => p.permType === 'READWRITE' && p.key.equals(wanted.key) && p.rangeEnd.equals(wanted.rangeEnd));
    for (const permission of role?.permissions ?? []) {
      if (!(permission.key.equals(wanted.key) && permission.rangeEnd.equals(wanted.rangeEnd))) {
        await auth.revokePermission(roleName, permission);
        actions.push(`revoke ${formatRange(permission)} from ${roleName}`);
      }
    }
    if (!granted) {
      await auth.grantPermission(roleName, { ...wanted, permType: 'READWRITE' });
      actions.push(`grant readwrite ${formatRange(wanted)} to ${roleName}`);
    }
    const passwordFile = options.tenants.passwordFile(user);
    const password = await readSecretFile(passwordFile, `password of ${user}`).catch(async () => {
      const fresh = generatePassword();
      await writeSecretFile(passwordFile, fresh);
      return fresh;
    });
    const existing = await auth.getUser(user);
    if (!existing) {
      await auth.addUser(user, password);
      actions.push(`create user ${user}`);
    } else if (!(await passwordWorks(options.admin, user, password))) {
      // The file is the source of truth. With auth off nothing can be checked and nothing holds a token, so it is set.
      await auth.changePassword(user, password);
    }
    if (!existing?.roles.includes(roleName)) {
      await auth.grantRole(user, roleName);
      actions.push(`grant role ${roleName} to ${user}`);
    }
  }
  return actions;
}

/** With auth on, whether the password authenticates; with auth off, unknown (false). */
async function passwordWorks(client: EtcdClient, username: string, password: Secret): Promise<boolean> {
  try {
    await client.authenticate({ username, password });
    return true;
  } catch {
    return false;
  }
}
