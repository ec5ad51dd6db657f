import { join } from 'node:path';
import { clusterRolePasswordFile } from '../core/instance/instance-layout.js';
import type { RoleCredentials } from '../core/patroni-config/instance-spec.js';
import type { Secret } from '../core/secret.js';
import { generatePassword, readSecretFile, writeSecretFile } from '../adapters/fs/secret-file.js';

/** PostgreSQL roles every member of a cluster shares (replicas log in with the leader's). */
export interface ClusterRoles {
  superuser: RoleCredentials;
  replication: RoleCredentials;
  rewind: RoleCredentials;
}

export const LAB_ROLE_NAMES = { superuser: 'postgres', replication: 'replicator', rewind: 'rewind_user' } as const;

export function labSecretsDir(labDir: string): string {
  return join(labDir, 'secrets');
}

export function etcdRootPasswordFile(labDir: string): string {
  return join(labSecretsDir(labDir), 'etcd-root.password');
}

/** Generates (or reuses) the cluster's role passwords, each in its own 0600 file: where `pgfleet instance create` looks for them too (the lab dir is the settings' prefix). */
export async function ensureClusterRoles(labDir: string, scope: string): Promise<ClusterRoles> {
  const load = async (role: keyof ClusterRoles): Promise<RoleCredentials> => {
    const file = clusterRolePasswordFile(labDir, scope, role);
    let password: Secret;
    try {
      password = await readSecretFile(file, `${scope} ${role} password`);
    } catch {
      password = generatePassword();
      await writeSecretFile(file, password);
    }
    return { username: LAB_ROLE_NAMES[role], password };
  };
  return { superuser: await load('superuser'), replication: await load('replication'), rewind: await load('rewind') };
}

/** The lab's etcd root password (0600), created with the lab so `etcd auth prepare` has an admin identity. */
export async function ensureEtcdRootPassword(labDir: string): Promise<void> {
  const file = etcdRootPasswordFile(labDir);
  await readSecretFile(file, 'etcd root password').catch(async () => writeSecretFile(file, generatePassword()));
}
