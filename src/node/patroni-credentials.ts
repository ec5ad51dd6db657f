import { renderPatroniYaml } from '../core/patroni-config/render-yaml.js';
import { deepMerge } from '../core/patroni-config/deep-merge.js';
import type { EtcdCredentials } from '../adapters/etcd/etcd-client.js';
import { writeFileAtomic } from '../adapters/fs/atomic-file.js';
import type { LocalInstance } from './local-instances.js';

/** Writes etcd credentials into an instance's Patroni YAML (atomic, 0600, same owner); returns the text written. Patroni is not told. */
export async function writeCredentialsIntoConfig(
  instance: LocalInstance,
  credentials: EtcdCredentials,
): Promise<string> {
  const config = deepMerge(instance.config, {
    [instance.dcsSection]: { username: credentials.username, password: credentials.password },
  });
  const text = renderPatroniYaml(config, { revealSecrets: true });
  await writeFileAtomic(instance.configFile, text, { mode: 0o600, dirMode: 0o750, owner: instance.owner });
  return text;
}
