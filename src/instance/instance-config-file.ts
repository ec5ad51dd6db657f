import type { FileOwner } from '../adapters/fs/atomic-file.js';
import { writeFileAtomic } from '../adapters/fs/atomic-file.js';
import type { PatroniConfig } from '../core/patroni-config/build-config.js';
import { renderPatroniYaml } from '../core/patroni-config/render-yaml.js';

/**
 * Writes an instance's Patroni YAML: atomically, 0600, in a 0750 directory,
 * owned by the user Patroni runs as. `validate` sees the complete temporary
 * file before it replaces the old one.
 */
export async function writeInstanceConfig(
  configFile: string,
  config: PatroniConfig,
  options: { owner?: FileOwner | undefined; validate?: ((temporaryPath: string) => Promise<void>) | undefined } = {},
): Promise<void> {
  await writeFileAtomic(configFile, renderPatroniYaml(config, { revealSecrets: true }), {
    mode: 0o600,
    dirMode: 0o750,
    ...(options.owner ? { owner: options.owner } : {}),
    ...(options.validate ? { validate: options.validate } : {}),
  });
}
