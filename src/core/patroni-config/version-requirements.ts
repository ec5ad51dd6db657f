import { PgfleetError } from '../errors.js';
import type { PatroniSettings } from '../settings/site-settings.js';
import type { ConfigTree } from './deep-merge.js';
import { getPath } from './config-path.js';
import { compareVersions } from '../versions/version-compare.js';
import type { PatroniFeatures } from './patroni-features.js';

/** A Patroni YAML key that only some Patroni versions accept, and the settings field that asks for it. */
export interface VersionRequirement {
  path: string[];
  since: string;
  setting: string;
  what: string;
}

/**
 * Keys older Patroni versions silently ignore: writing them for such a
 * version would leave the site believing something Patroni does not do.
 */
export const VERSION_REQUIREMENTS: readonly VersionRequirement[] = [
  {
    path: ['ctl', 'authentication'],
    since: '3.1.0',
    setting: 'patroni.ctl.restapi_credentials',
    what: 'patronictl basic-auth credentials (ctl.authentication)',
  },
];

/** Settings asking for something the installed Patroni cannot do: an error naming the version needed. */
export function checkSettingsSupported(settings: PatroniSettings, features: PatroniFeatures): void {
  if (settings.ctl?.restapi_credentials && !features.ctlAuthentication)
    throw tooOld(VERSION_REQUIREMENTS[0]!, features);
}

/** A generated configuration with a key the installed Patroni does not accept: an error, never a silent drop. */
export function checkVersionRequirements(config: ConfigTree, features: PatroniFeatures): void {
  for (const requirement of VERSION_REQUIREMENTS) {
    if (getPath(config, requirement.path) !== undefined && compareVersions(features.version, requirement.since) < 0)
      throw tooOld(requirement, features);
  }
}

function tooOld(requirement: VersionRequirement, features: PatroniFeatures): PgfleetError {
  return new PgfleetError(
    'PATRONI_VERSION_TOO_OLD',
    `${requirement.setting} asks for ${requirement.what}, which needs Patroni >= ${requirement.since}; the installed Patroni is ${features.version}`,
    {
      hint: `upgrade Patroni to ${requirement.since} or later, or turn ${requirement.setting} off`,
      details: {
        setting: requirement.setting,
        key: requirement.path.join('.'),
        needs: requirement.since,
        installed: features.version,
      },
    },
  );
}
