import { access } from 'node:fs/promises';
import { homedir } from 'node:os';
import { PgfleetError } from '../core/errors.js';
import { INSTANCE_NAME_PATTERN, type InstanceLayout, instanceLayout } from '../core/instance/instance-layout.js';
import type { InstanceRecord } from '../core/instance/instance-record.js';
import { type SitePaths, resolveSitePaths } from '../core/settings/site-paths.js';
import type { PatroniSettings, SiteSettings } from '../core/settings/site-settings.js';
import type { FileOwner } from '../adapters/fs/atomic-file.js';
import { patroniFileOwner } from '../adapters/patroni/config-file.js';
import { type OsUser, isRoot, serviceUser } from '../adapters/process/os-user.js';
import { patroniSettingsOf } from '../adapters/settings/instance-config-inputs.js';
import type { LoadedSettings } from '../adapters/settings/site-settings-file.js';
import { readInstanceRecord } from './instance-record-file.js';
import { type LocalInstance, readLocalInstance } from '../node/local-instances.js';

/** The site as `pgfleet instance` sees it: settings with a patroni section, resolved paths, who owns and runs Patroni. */
export interface InstanceSite {
  settings: SiteSettings;
  source: string | undefined;
  patroni: PatroniSettings;
  paths: SitePaths;
  /** Owner of Patroni's files (the Patroni user when pgfleet runs as root). */
  owner: FileOwner | undefined;
  /** The user Patroni runs as (undefined: the invoking user). */
  runAs: OsUser | undefined;
  env: NodeJS.ProcessEnv;
}

export function openInstanceSite(loaded: LoadedSettings, env: NodeJS.ProcessEnv = process.env): InstanceSite {
  const patroni = patroniSettingsOf(loaded.settings, loaded.source);
  const paths = resolveSitePaths(loaded.settings, { isRoot: isRoot(), home: env.HOME || homedir(), env });
  return {
    settings: loaded.settings,
    source: loaded.source,
    patroni,
    paths,
    owner: patroniFileOwner(patroni),
    runAs: serviceUser(patroni.user),
    env,
  };
}

export function siteInstanceLayout(site: InstanceSite, name: string): InstanceLayout {
  if (!INSTANCE_NAME_PATTERN.test(name)) {
    throw new PgfleetError(
      'INSTANCE_NAME_INVALID',
      `"${name}" is not an instance name: letters, digits, ".", "_" or "-" (at most 63), starting with a letter or digit`,
      { hint: 'see the names with `pgfleet instance list`' },
    );
  }
  return instanceLayout(site.paths, name);
}

/** One instance pgfleet manages on this host: its files, its YAML as read, and pgfleet's record of it. */
export interface ManagedInstance {
  name: string;
  layout: InstanceLayout;
  local: LocalInstance;
  /** Absent for an instance whose YAML pgfleet did not create (a lab node, a hand-made file): it runs in the background. */
  record: InstanceRecord | undefined;
}

export async function loadManagedInstance(site: InstanceSite, name: string): Promise<ManagedInstance> {
  const layout = siteInstanceLayout(site, name);
  const exists = await access(layout.configFile).then(
    () => true,
    () => false,
  );
  if (!exists) {
    throw new PgfleetError('INSTANCE_NOT_FOUND', `no instance ${name}: ${layout.configFile} does not exist`, {
      hint: `see the instances of this host with \`pgfleet instance list\`${site.source ? ` (settings: ${site.source})` : ''}`,
    });
  }
  const [local, record] = await Promise.all([
    readLocalInstance(layout.configFile),
    readInstanceRecord(layout.recordFile),
  ]);
  return { name, layout, local, record };
}
