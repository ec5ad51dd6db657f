import { homedir, hostname } from 'node:os';
import { PgfleetError } from '../../core/errors.js';
import {
  type PatroniConfig,
  buildPatroniConfig,
  managedKeysContextOf,
} from '../../core/patroni-config/build-config.js';
import { type ManagedKeyInTemplate, managedKeysInTemplate } from '../../core/patroni-config/managed-keys.js';
import { instanceSpecFromOptions, type PatroniInstanceOptions } from '../../core/patroni-config/instance-options.js';
import type { InstanceSpec, ParameterValue } from '../../core/patroni-config/instance-spec.js';
import {
  parsePatroniVersion,
  patroniFeatures,
  type PatroniFeatures,
} from '../../core/patroni-config/patroni-features.js';
import { instanceLayout } from '../../core/instance/instance-layout.js';
import { resolveSitePaths } from '../../core/settings/site-paths.js';
import type { PatroniSettings, SiteSettings } from '../../core/settings/site-settings.js';
import { detectPatroniFeatures } from '../patroni/patroni-binary.js';
import { isRoot } from '../process/os-user.js';
import { type RolePasswordFiles, readInstanceOptionSecrets } from './instance-secret-files.js';
import { type LoadedTemplate, loadPatroniTemplate } from './patroni-template-file.js';

export interface InstanceConfigRequest {
  settings: SiteSettings;
  options: PatroniInstanceOptions;
  roleFiles?: RolePasswordFiles | undefined;
  /** Generate for this Patroni version instead of the installed one's. */
  patroniVersion?: string | undefined;
  hostname?: string | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  /** PostgreSQL parameters and pg_hba lines given at creation (bootstrap.dcs in dynamic mode). */
  postgresql?:
    { parameters?: Record<string, ParameterValue> | undefined; extraPgHba?: string[] | undefined } | undefined;
}

export interface InstanceConfig {
  config: PatroniConfig;
  spec: InstanceSpec;
  features: PatroniFeatures;
  template: LoadedTemplate;
  /** Where the file goes. */
  configFile: string;
  /** Role passwords generated because no file was given. */
  generatedRoles: (keyof RolePasswordFiles)[];
  /** Managed keys the template sets that the file does not hold as written (callers warn, naming file:line). */
  templateManagedKeys: ManagedKeyInTemplate[];
}

/** Requires the settings' patroni section: without it pgfleet does not manage Patroni. */
export function patroniSettingsOf(settings: SiteSettings, source: string | undefined): PatroniSettings {
  if (!settings.patroni) {
    throw new PgfleetError('SETTINGS_NO_PATRONI', `${source ?? 'the settings'} has no patroni section`, {
      hint: 'add "patroni: {}" (an open etcd on 127.0.0.1:2379) or describe your etcd under patroni.etcd',
    });
  }
  return settings.patroni;
}

/**
 * Everything that makes one instance's Patroni configuration, read and
 * checked in an order that touches nothing before the inputs are known good:
 * options, password files, template, Patroni version, then the build.
 */
export async function instanceConfig(request: InstanceConfigRequest): Promise<InstanceConfig> {
  const patroni = patroniSettingsOf(request.settings, undefined);
  const env = request.env ?? process.env;
  const { secrets, generated } = await readInstanceOptionSecrets(request.options, request.roleFiles, env);
  const paths = resolveSitePaths(request.settings, { isRoot: isRoot(), home: env.HOME || homedir(), env });
  const base = instanceSpecFromOptions(request.options, {
    settings: request.settings,
    paths,
    hostname: request.hostname ?? hostname(),
    secrets,
  });
  const spec: InstanceSpec = {
    ...base,
    postgresql: {
      ...base.postgresql,
      parameters: { ...base.postgresql.parameters, ...request.postgresql?.parameters },
      pgHba: [
        ...base.postgresql.pgHba,
        ...(request.postgresql?.extraPgHba ?? []).filter((line) => !base.postgresql.pgHba.includes(line)),
      ],
    },
  };
  const template = await loadPatroniTemplate(patroni);
  const features = request.patroniVersion
    ? patroniFeatures(parsePatroniVersion(request.patroniVersion))
    : await detectPatroniFeatures(patroni.execpath);
  const config = buildPatroniConfig({ settings: patroni, instance: spec, template: template.template, features });
  // pgfleet's own template is not the site's to fix.
  const templateManagedKeys = template.builtin
    ? []
    : managedKeysInTemplate(
        template.text,
        template.source,
        managedKeysContextOf({ settings: patroni, instance: spec }),
        config,
      );
  return {
    templateManagedKeys,
    config,
    spec,
    features,
    template,
    configFile: instanceLayout(paths, spec.name).configFile,
    generatedRoles: generated,
  };
}
