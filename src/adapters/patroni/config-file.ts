import { type FileOwner, writeFileAtomic } from '../fs/atomic-file.js';
import { isRoot, lookupOsUser } from '../process/os-user.js';
import { PgfleetError } from '../../core/errors.js';
import type { PatroniConfig } from '../../core/patroni-config/build-config.js';
import { secretsIn } from '../../core/patroni-config/config-secrets.js';
import { renderPatroniYaml } from '../../core/patroni-config/render-yaml.js';
import type { ValidationFinding } from '../../core/patroni-config/validation-findings.js';
import type { PatroniSettings } from '../../core/settings/site-settings.js';
import { validatePatroniConfigFile } from './validate-config.js';

export interface WritePatroniConfigOptions {
  /** Owner of the file and of a created directory: the Patroni user when pgfleet runs as root. */
  owner?: FileOwner | undefined;
  /** Run `patroni --validate-config` on the new file before it replaces the old one; false to skip (tests of the writer only). */
  validation: { execpath: string; enforce: boolean } | false;
}

export interface WrittenPatroniConfig {
  path: string;
  /** Every validator finding, fatal or not (fatal ones throw instead). */
  findings: ValidationFinding[];
}

/**
 * Writes a Patroni configuration file: rendered with its secrets, to a 0600
 * temporary file in the same 0750 directory, validated, then renamed over
 * the old file. A failed validation leaves the old file as it was.
 */
export async function writePatroniConfigFile(
  path: string,
  config: PatroniConfig,
  options: WritePatroniConfigOptions,
): Promise<WrittenPatroniConfig> {
  let findings: ValidationFinding[] = [];
  const validation = options.validation;
  await writeFileAtomic(path, renderPatroniYaml(config, { revealSecrets: true }), {
    mode: 0o600,
    dirMode: 0o750,
    ...(options.owner ? { owner: options.owner } : {}),
    ...(validation
      ? {
          validate: async (temporaryPath: string) => {
            findings = await validatePatroniConfigFile(temporaryPath, {
              execpath: validation.execpath,
              enforce: validation.enforce,
              secrets: secretsIn(config),
              target: path,
            });
          },
        }
      : {}),
  });
  return { path, findings };
}

/** Who owns Patroni's files: the settings' Patroni user when pgfleet runs as root, else the invoking user (no chown). */
export function patroniFileOwner(settings: Pick<PatroniSettings, 'user'>): FileOwner | undefined {
  if (!isRoot()) return undefined;
  const user = lookupOsUser(settings.user);
  if (!user) {
    throw new PgfleetError(
      'SERVICE_USER_MISSING',
      `running as root, but the Patroni user "${settings.user}" (patroni.user) does not exist`,
      {
        hint: 'install the postgresql package (it creates postgres) or set patroni.user',
      },
    );
  }
  return { uid: user.uid, gid: user.gid };
}
