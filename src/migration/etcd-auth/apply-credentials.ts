import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapWithConcurrency } from '../../core/bounded-concurrency.js';
import { PgfleetError } from '../../core/errors.js';
import { readinessKey, type ReadinessRecord } from '../../core/migration/readiness-record.js';
import { reloadAppliedWithinMs } from '../../core/migration/reload-applied.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import type { LocalInstance } from '../../node/local-instances.js';
import { writeCredentialsIntoConfig } from '../../node/patroni-credentials.js';
import { patroniRestClientFor } from '../../fleet/member-rest-client.js';
import type { TenantDirectory } from '../../fleet/tenant-directory.js';
import { thisHostName } from '../../adapters/process/host-name.js';

export interface ApplyOutcome {
  instance: string;
  scope: string;
  member: string;
  status: 'applied' | 'no-tenant' | 'reload-failed';
  username?: string | undefined;
  detail: string;
}

/**
 * `etcd auth apply` on this host: write each local member's tenant
 * credentials into its Patroni YAML (atomic, 0600, same owner), make Patroni
 * re-read it (POST /reload: etcd credentials are re-read on reload), wait for
 * the HA cycle that applies the reload, and only then record in etcd that the
 * member is ready — user name and file hash only.
 */
export async function applyCredentialsLocally(options: {
  instances: LocalInstance[];
  tenants: TenantDirectory;
  recordStore: EtcdClient;
  onProgress?: ((message: string) => void) | undefined;
}): Promise<ApplyOutcome[]> {
  // Each member is independent (its own file, its own Patroni): a few at a time keeps a large host quick.
  const reloaded = await mapWithConcurrency(options.instances, 8, (instance) => writeAndReload(instance, options));
  // 202 only schedules a reload: a member is ready once its next HA cycle has read the file. One wait covers them all.
  const settleMs = Math.max(0, ...reloaded.flatMap((step) => ('settleMs' in step ? [step.settleMs] : [])));
  if (settleMs > 0) {
    options.onProgress?.(
      `reloads scheduled; waiting ${settleMs / 1000} s for Patroni's next HA cycle to apply them before recording readiness`,
    );
    await sleep(settleMs);
  }
  return mapWithConcurrency(reloaded, 8, async (step) =>
    'record' in step ? recordReady(step.instance, step.record, options) : step.outcome,
  );
}

type ReloadStep = { outcome: ApplyOutcome } | { instance: string; record: ReadinessRecord; settleMs: number };

async function writeAndReload(instance: LocalInstance, options: { tenants: TenantDirectory }): Promise<ReloadStep> {
  const base = { instance: instance.name, scope: instance.scope, member: instance.node };
  const credentials = await options.tenants.credentialsFor(instance.namespace, instance.scope);
  if (!credentials)
    return {
      outcome: {
        ...base,
        status: 'no-tenant',
        detail: `no tenant credentials for ${instance.namespace}${instance.scope} on this host`,
      },
    };
  const text = await writeCredentialsIntoConfig(instance, credentials);
  const rest = patroniRestClientFor(instance);
  let settleMs: number;
  try {
    const answer = await rest.reload();
    if (answer.status !== 202 && answer.status !== 200)
      return {
        outcome: {
          ...base,
          status: 'reload-failed',
          username: credentials.username,
          detail: `POST /reload answered HTTP ${answer.status}`,
        },
      };
    settleMs = reloadAppliedWithinMs(await rest.dynamicConfig().catch(() => ({})));
  } catch (error) {
    if (!(error instanceof PgfleetError)) throw error;
    return { outcome: { ...base, status: 'reload-failed', username: credentials.username, detail: error.message } };
  } finally {
    await rest.close();
  }
  const record: ReadinessRecord = {
    namespace: instance.namespace,
    scope: instance.scope,
    member: instance.node,
    username: credentials.username,
    configSha256: createHash('sha256').update(text).digest('hex'),
    host: thisHostName(),
    appliedAt: new Date().toISOString(),
  };
  return { instance: instance.name, record, settleMs };
}

async function recordReady(
  instance: string,
  record: ReadinessRecord,
  options: { recordStore: EtcdClient; onProgress?: ((message: string) => void) | undefined },
): Promise<ApplyOutcome> {
  await options.recordStore.put(
    readinessKey({ namespace: record.namespace, scope: record.scope, name: record.member }),
    JSON.stringify(record),
  );
  const member = `${record.namespace}${record.scope}/${record.member}`;
  options.onProgress?.(`${member}: credentials of ${record.username} written and reloaded`);
  return {
    instance,
    scope: record.scope,
    member: record.member,
    status: 'applied',
    username: record.username,
    detail: 'credentials written, Patroni reloaded, readiness recorded',
  };
}
