import { PgfleetError } from '../core/errors.js';
import type { OperationOutcome, OperationProgress } from '../core/operation-outcome.js';
import { checkEtcdAuthMethods } from '../core/patroni-config/etcd-auth-methods.js';
import { type PatroniInstanceValues, patroniInstanceOptionsOf } from '../core/patroni-config/instance-options.js';
import { describeManagedKeyInTemplate } from '../core/patroni-config/managed-keys.js';
import { renderPatroniYaml } from '../core/patroni-config/render-yaml.js';
import { instanceConfig, patroniSettingsOf } from '../adapters/settings/instance-config-inputs.js';
import { loadSiteSettings } from '../adapters/settings/site-settings-file.js';

/** `patroni config render` as given on the command line. */
export interface PatroniConfigRenderRequest extends PatroniInstanceValues {
  name: string;
  superuserPasswordFile?: string | undefined;
  replicationPasswordFile?: string | undefined;
  rewindPasswordFile?: string | undefined;
  patroniVersion?: string | undefined;
  showSecrets: boolean;
}

/**
 * `pgfleet patroni config render`: the Patroni YAML `instance create` would
 * write, secrets redacted unless asked for, and never in JSON. It takes the
 * settings file named by --settings and loads it itself, after refusing
 * secrets in JSON. Warns about the template's managed keys and an etcd
 * authentication Patroni would not use.
 */
export async function renderPatroniConfig(
  settingsFile: string | undefined,
  request: PatroniConfigRenderRequest,
  options: { jsonOutput: boolean; progress: OperationProgress },
): Promise<OperationOutcome> {
  const { progress } = options;
  if (request.showSecrets && options.jsonOutput) {
    throw new PgfleetError(
      'SECRETS_NOT_IN_JSON',
      '--show-secrets prints YAML only: JSON output never carries secrets',
      {
        hint: 'drop --output json (or --show-secrets)',
      },
    );
  }
  const loaded = loadSiteSettings(settingsFile);
  patroniSettingsOf(loaded.settings, loaded.source);
  const result = await instanceConfig({
    settings: loaded.settings,
    options: patroniInstanceOptionsOf(request.name, request),
    roleFiles: {
      superuser: request.superuserPasswordFile,
      replication: request.replicationPasswordFile,
      rewind: request.rewindPasswordFile,
    },
    patroniVersion: request.patroniVersion,
  });
  if (result.generatedRoles.length > 0)
    progress.detail(`no password file for ${result.generatedRoles.join(', ')}: generated passwords stand in`);
  const authMethods = checkEtcdAuthMethods(
    result.config[loaded.settings.patroni!.etcd.version] as Record<string, unknown> | undefined,
    `instance ${result.spec.name}`,
  );
  if (authMethods) progress.warn(`${authMethods.message}\n  hint: ${authMethods.hint}`);
  for (const found of result.templateManagedKeys) progress.warn(describeManagedKeyInTemplate(found));
  return {
    // Secret values serialise as a placeholder: JSON never carries them.
    data: {
      instance: result.spec.name,
      configFile: result.configFile,
      patroniVersion: result.features.version,
      template: result.template.source,
      templateManagedKeys: result.templateManagedKeys,
      settings: loaded.source ?? null,
      config: result.config,
    },
    text: () => renderPatroniYaml(result.config, { revealSecrets: request.showSecrets }),
  };
}
