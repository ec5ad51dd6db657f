import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import { PgfleetError } from '../../core/errors.js';
import { readinessKey, type ReadinessRecord } from '../../core/migration/readiness-record.js';
import { renderPatroniYaml } from '../../core/patroni-config/render-yaml.js';
import { deepMerge } from '../../core/patroni-config/deep-merge.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import { writeFileAtomic } from '../../adapters/fs/atomic-file.js';
import type { LocalInstance } from '../../instance/local-instances.js';
import { patroniRestClientFor } from '../../restapi/member-rest-client.js';
import type { TenantDirectory } from './tenant-directory.js';

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
 * re-read it (POST /reload: etcd credentials are re-read on reload), and
 * record in etcd that the member is ready — user name and file hash only.
 */
export async function applyCredentialsLocally(options: {
  instances: LocalInstance[];
  tenants: TenantDirectory;
  recordStore: EtcdClient;
  onProgress?: ((message: string) => void) | undefined;
}): Promise<ApplyOutcome[]> {
  const outcomes: ApplyOutcome[] = [];
  for (const instance of options.instances) {
    const base = { instance: instance.name, scope: instance.scope, member: instance.node };
    const credentials = await options.tenants.credentialsFor(instance.namespace, instance.scope);
    if (!credentials) {
      outcomes.push({ ...base, status: 'no-tenant', detail: `no tenant credentials for ${instance.namespace}${instance.scope} on this host` });
      continue;
    }
    const config = deepMerge(instance.config, { [instance.dcsSection]: { username: credentials.username, password: credentials.password } });
    const text = renderPatroniYaml(config, { revealSecrets: true });
    await writeFileAtomic(instance.configFile, text, { mode: 0o600, dirMode: 0o750, owner: instance.owner });

    const rest = patroniRestClientFor(instance);
    try {
      const answer = await rest.reload();
      if (answer.status !== 202 && answer.status !== 200) {
        outcomes.push({ ...base, status: 'reload-failed', username: credentials.username, detail: `POST /reload answered HTTP ${answer.status}` });
        continue;
      }
    } catch (error) {
      if (!(error instanceof PgfleetError)) throw error;
      outcomes.push({ ...base, status: 'reload-failed', username: credentials.username, detail: error.message });
      continue;
    } finally {
      await rest.close();
    }
    const record: ReadinessRecord = {
      namespace: instance.namespace,
      scope: instance.scope,
      member: instance.node,
      username: credentials.username,
      configSha256: createHash('sha256').update(text).digest('hex'),
      host: hostname(),
      appliedAt: new Date().toISOString(),
    };
    await options.recordStore.put(readinessKey({ namespace: instance.namespace, scope: instance.scope, name: instance.node }), JSON.stringify(record));
    options.onProgress?.(`${instance.namespace}${instance.scope}/${instance.node}: credentials of ${credentials.username} written and reloaded`);
    outcomes.push({ ...base, status: 'applied', username: credentials.username, detail: 'credentials written, Patroni reloaded, readiness recorded' });
  }
  return outcomes;
}
