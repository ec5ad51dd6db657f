import { homedir } from 'node:os';
import { stringify } from 'yaml';
import type { OperationOutcome, OperationProgress } from '../core/operation-outcome.js';
import { describeManagedKeyInTemplate } from '../core/patroni-config/managed-keys.js';
import { redactedSettings } from '../core/settings/settings-view.js';
import { resolveSitePaths } from '../core/settings/site-paths.js';
import { isRoot } from '../adapters/process/os-user.js';
import { templateManagedKeys as managedKeysOf } from '../adapters/settings/patroni-template-file.js';
import { loadSiteSettings, settingsCandidates } from '../adapters/settings/site-settings-file.js';

/**
 * `pgfleet settings show`: the settings in effect (defaults applied, secrets
 * redacted), the file they came from or the places searched, the paths they
 * resolve to, and the keys the Patroni template sets that pgfleet manages
 * (each one warned about). It takes the settings file named by --settings:
 * which file is in effect is part of what it shows.
 */
export async function showSiteSettings(options: {
  settingsFile: string | undefined;
  progress: OperationProgress;
}): Promise<OperationOutcome> {
  const { settingsFile, progress } = options;
  const loaded = loadSiteSettings(settingsFile);
  const paths = resolveSitePaths(loaded.settings, { isRoot: isRoot(), home: homedir(), env: process.env });
  const view = redactedSettings(loaded.settings);
  const searched = settingsFile ? [settingsFile] : settingsCandidates();
  const templateManagedKeys = loaded.settings.patroni
    ? await managedKeysOf(loaded.settings.patroni).catch((error: unknown) => {
        progress.warn(
          `the Patroni template could not be checked: ${error instanceof Error ? error.message : String(error)}`,
        );
        return [];
      })
    : [];
  for (const found of templateManagedKeys) progress.warn(describeManagedKeyInTemplate(found));
  return {
    data: { source: loaded.source ?? null, searched, settings: view, paths, templateManagedKeys },
    text: () =>
      [
        loaded.source
          ? `# settings from ${loaded.source}`
          : `# no settings file found (searched ${searched.join(', ')}): every default applies`,
        stringify(view, { lineWidth: 0, version: '1.1' }).trimEnd(),
        '# resolved paths',
        stringify({ paths }, { lineWidth: 0, version: '1.1' }).trimEnd(),
      ].join('\n'),
  };
}
