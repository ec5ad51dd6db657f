import { rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ExitCode, PgfleetError } from '../core/errors.js';
import { decideDrop } from '../core/instance/drop-decision.js';
import { clusterRolePasswordFile } from '../core/instance/instance-layout.js';
import type { EtcdCredentials } from '../adapters/etcd/etcd-client.js';
import { optionalEtcdAdminCredentials } from '../adapters/settings/etcd-access.js';
import { tenantDirectoryFromSettings } from '../fleet/settings-tenant-directory.js';
import { type InstanceDcs, configDcs, dcsClient, readClusterMembers } from './instance-dcs.js';
import { pathExists, removeInstanceFiles } from './instance-files.js';
import { serviceOf } from './instance-lifecycle.js';
import type { InstanceSite, ManagedInstance } from './instance-site.js';
import { enablePatroniUnit } from './patroni-service.js';

export interface DroppedInstance {
  name: string;
  scope: string;
  node: string;
  lastMember: boolean;
  otherMembers: string[];
  wasRunning: boolean;
  removedFiles: string[];
  /** Keys deleted under the cluster's prefix (last member with --force); null when the cluster stays. */
  clusterKeysRemoved: number | null;
  /** Whose credentials deleted them. */
  clusterKeysRemovedAs: string | null;
}

/**
 * `pgfleet instance drop`: stops Patroni (and PostgreSQL) and removes the
 * instance's files. The last member of a cluster is refused unless forced;
 * forced, the cluster's keys are deleted from etcd too, with the cluster's
 * own (tenant) credentials first and pgfleet's admin identity as a fallback.
 * Keys go before files: if etcd refuses, the files stay and drop can run again.
 */
export async function dropInstance(
  site: InstanceSite,
  instance: ManagedInstance,
  options: { force: boolean; onStep: (message: string) => void; onWarning: (message: string) => void },
): Promise<DroppedInstance> {
  const { local } = instance;
  const dcs = configDcs(local.config, local.namespace, local.scope);
  const members = await readMembers(dcs, options.onWarning);
  const decision = decideDrop({
    instance: instance.name,
    scope: local.scope,
    node: local.node,
    members,
    force: options.force,
  });
  if (!decision.allowed) throw new PgfleetError(decision.code, decision.message, { hint: decision.hint });

  const service = serviceOf(site, instance);
  const wasRunning = (await service.runningPid()) !== undefined;
  options.onStep(`stopping Patroni of ${instance.name}${wasRunning ? '' : ' (not running)'}`);
  await service.stop();
  if (service.kind === 'systemd')
    await enablePatroniUnit(instance.name, false).catch((error: unknown) =>
      options.onWarning(error instanceof Error ? error.message : String(error)),
    );

  let clusterKeysRemoved: number | null = null;
  let clusterKeysRemovedAs: string | null = null;
  if (decision.removeClusterKeys) {
    const removal = await removeClusterKeys(site, dcs, instance.name);
    clusterKeysRemoved = removal.deleted;
    clusterKeysRemovedAs = removal.as;
    options.onStep(
      `removed ${removal.deleted} key(s) of cluster ${local.scope} under ${dcs.prefix} (as ${removal.as})`,
    );
  } else {
    // Its member key would expire after ttl; removing it now lets the leader drop its replication slot at once.
    const client = dcsClient(dcs);
    await client
      .delete(`${dcs.prefix}members/${local.node}`)
      .catch(() => undefined)
      .finally(() => client.close());
  }

  const removedFiles = await removeInstanceFiles(instance.layout, { keepLog: false });
  if (decision.lastMember) {
    const roleDirectory = dirname(clusterRolePasswordFile(site.paths.prefix, local.scope, 'superuser'));
    if (await pathExists(roleDirectory)) {
      await rm(roleDirectory, { recursive: true, force: true });
      removedFiles.push(roleDirectory);
    }
  }
  return {
    name: instance.name,
    scope: local.scope,
    node: local.node,
    lastMember: decision.lastMember,
    otherMembers: decision.otherMembers,
    wasRunning,
    removedFiles,
    clusterKeysRemoved,
    clusterKeysRemovedAs,
  };
}

async function readMembers(dcs: InstanceDcs, onWarning: (message: string) => void): Promise<string[] | undefined> {
  const client = dcsClient(dcs);
  try {
    return await readClusterMembers(client, dcs.prefix);
  } catch (error) {
    onWarning(
      `cannot read the members of cluster ${dcs.scope} from etcd: ${error instanceof Error ? error.message : String(error)}`,
    );
    return undefined;
  } finally {
    await client.close();
  }
}

async function removeClusterKeys(
  site: InstanceSite,
  dcs: InstanceDcs,
  instance: string,
): Promise<{ deleted: number; as: string }> {
  const tenants = await tenantDirectoryFromSettings(site.settings, site.paths.secretsDir);
  const candidates: Array<{ label: string; credentials: EtcdCredentials | undefined }> = [
    {
      label: dcs.credentials
        ? `${dcs.credentials.username}, the instance's etcd user`
        : 'no credentials (etcd auth off)',
      credentials: dcs.credentials,
    },
    { label: 'the tenant user of the settings', credentials: await tenants.credentialsFor(dcs.namespace, dcs.scope) },
    {
      label: 'the etcd admin of the settings',
      credentials: await optionalEtcdAdminCredentials(site.settings, site.env),
    },
  ];
  const failures: string[] = [];
  const tried = new Set<string>();
  for (const [index, candidate] of candidates.entries()) {
    // The instance's own identity is always tried (none means etcd auth is off for it); the fallbacks only when configured.
    const user = candidate.credentials?.username;
    if (index > 0 && (user === undefined || tried.has(user))) continue;
    if (user !== undefined) tried.add(user);
    const client = dcsClient(dcs, candidate.credentials);
    try {
      return { deleted: await client.delete(dcs.prefix, { prefix: true }), as: candidate.label };
    } catch (error) {
      failures.push(`${candidate.label}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await client.close();
    }
  }
  throw new PgfleetError(
    'INSTANCE_DCS_KEYS_NOT_REMOVED',
    `could not remove the keys of cluster ${dcs.scope} under ${dcs.prefix}: ${failures.join('; ')}`,
    {
      hint: `Patroni of ${instance} is stopped and its files are kept: fix etcd access (the tenant or admin credentials in the settings) and run \`pgfleet instance drop ${instance} --force\` again`,
      exitCode: ExitCode.failed,
    },
  );
}
