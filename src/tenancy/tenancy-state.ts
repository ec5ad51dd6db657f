import { mapWithConcurrency } from '../core/bounded-concurrency.js';
import type { AuthSnapshot } from '../core/etcd/auth-model.js';
import { desiredTenants } from '../core/tenancy/desired-tenants.js';
import { clientNameConflicts } from '../core/tenancy/declared-clients.js';
import { locatedProblemsError } from '../core/yaml/located-yaml.js';
import { type PasswordFacts, type TenancyPlan, planTenancy } from '../core/tenancy/tenancy-plan.js';
import type { Tenant } from '../core/tenancy/tenant.js';
import type { EtcdClient } from '../adapters/etcd/etcd-client.js';
import { EtcdError } from '../adapters/etcd/etcd-error.js';
import { readSecretFile } from '../adapters/fs/secret-file.js';
import { AUTH_READ_CONCURRENCY, readAuthSnapshot } from './auth-snapshot-reader.js';
import { discoverClusters } from './dcs-clusters.js';
import { checkSecretsDirectory, existingFiles } from './secrets-directory.js';
import type { TenancyTarget } from './tenancy-target.js';

/** Desired tenants and what etcd and the secrets directory actually hold. */
export interface TenancyState {
  tenants: Tenant[];
  snapshot: AuthSnapshot;
  passwords: PasswordFacts;
}

/**
 * Reads everything a plan is computed from: the secrets directory (refused
 * if open), etcd's auth store (admin credentials checked first), the
 * clusters in the DCS, the tenants file, the instances managed here. With
 * auth on, each existing tenant user's file password is tried, so that a
 * rotated file shows up as a password to set.
 */
export async function readTenancyState(target: TenancyTarget, admin: EtcdClient): Promise<TenancyState> {
  const directory = target.directory;
  const { tenants, snapshot } = await readTenants(target, admin);
  // Tenants' users and declared clients' users alike: one 0600 password file each.
  const users = [...tenants.map((tenant) => tenant.user), ...directory.clients.map((client) => client.user)];
  const files = await existingFiles(users.map((user) => directory.passwordFile(user)));
  const withFile = new Set(users.filter((user) => files.has(directory.passwordFile(user))));
  const rejected = new Set<string>();
  if (snapshot.authEnabled) {
    const existing = new Set(snapshot.users.map((user) => user.name));
    const candidates = users.filter((user) => withFile.has(user) && existing.has(user));
    await mapWithConcurrency(candidates, AUTH_READ_CONCURRENCY, async (user) => {
      const password = await readSecretFile(directory.passwordFile(user), `password of etcd user ${user}`);
      try {
        await admin.authenticate({ username: user, password });
      } catch (error) {
        if (error instanceof EtcdError && error.kind === 'authentication-failed') rejected.add(user);
        else throw error;
      }
    });
  }
  return { tenants, snapshot, passwords: { withFile, rejected } };
}

/** The desired tenants and etcd's auth store, after refusing an open secrets directory. */
export async function readTenants(
  target: TenancyTarget,
  admin: EtcdClient,
): Promise<{ tenants: Tenant[]; snapshot: AuthSnapshot }> {
  const directory = target.directory;
  await checkSecretsDirectory(directory.secretsDir);
  const snapshot = await readAuthSnapshot(admin, target.access);
  const discovered = await discoverClusters(admin, target.access.namespaces);
  const tenants = desiredTenants({ managed: target.managed, discovered, listed: directory.listed }, directory.naming);
  const conflicts = clientNameConflicts(directory.clients, tenants, directory.naming.adminUser);
  if (conflicts.length > 0) throw locatedProblemsError(conflicts);
  return { tenants, snapshot };
}

/** `etcd tenants plan`: the changes that would bring etcd to the desired tenants. */
export async function planTenancyFromEtcd(
  target: TenancyTarget,
  admin: EtcdClient,
  options: { prune?: boolean } = {},
): Promise<TenancyPlan> {
  const state = await readTenancyState(target, admin);
  return planTenancy({
    tenants: state.tenants,
    actual: state.snapshot,
    naming: target.directory.naming,
    passwords: state.passwords,
    prune: options.prune ?? false,
    clients: target.directory.clients,
  });
}
