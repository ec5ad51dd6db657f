import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { PgfleetError } from '../../core/errors.js';
import type { ConfigTree } from '../../core/patroni-config/deep-merge.js';
import { type ManagedKeyInTemplate, managedKeysInTemplate } from '../../core/patroni-config/managed-keys.js';
import { parsePatroniTemplate } from '../../core/patroni-config/patroni-template.js';
import type { PatroniSettings } from '../../core/settings/site-settings.js';

/** The built-in template, shipped in the package (src/adapters/settings → ../../../templates, same from dist/). */
export const BUILTIN_TEMPLATE_PATH = fileURLToPath(new URL('../../../templates/patroni.yaml', import.meta.url));

export interface LoadedTemplate {
  template: ConfigTree;
  /** Its text, for locating its keys (file:line in warnings). */
  text: string;
  /** The file it came from (the built-in one when the settings name none). */
  source: string;
  builtin: boolean;
}

/** Reads and parses the Patroni template the settings select (patroni.template), or the built-in one. */
export async function loadPatroniTemplate(settings: Pick<PatroniSettings, 'template'>): Promise<LoadedTemplate> {
  const source = settings.template ?? BUILTIN_TEMPLATE_PATH;
  let text: string;
  try {
    text = await readFile(source, 'utf8');
  } catch (error) {
    throw new PgfleetError(
      'PATRONI_TEMPLATE_UNREADABLE',
      `${source}: cannot read the Patroni template (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      {
        hint: settings.template
          ? 'check patroni.template in the settings'
          : 'the pgfleet installation is incomplete: reinstall it',
      },
    );
  }
  return { template: parsePatroniTemplate(text, source), text, source, builtin: settings.template === undefined };
}

/**
 * The managed keys the site's template sets, for `settings show`: without
 * an instance, which keys pgfleet writes itself and which it drops is not
 * known yet, so each is reported as managed.
 */
export async function templateManagedKeys(
  settings: Pick<PatroniSettings, 'template' | 'etcd'>,
): Promise<ManagedKeyInTemplate[]> {
  // pgfleet's own template is not the site's to fix.
  if (settings.template === undefined) return [];
  const loaded = await loadPatroniTemplate(settings);
  return managedKeysInTemplate(loaded.text, loaded.source, { dcs: settings.etcd.version });
}
