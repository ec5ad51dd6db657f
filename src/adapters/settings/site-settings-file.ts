import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PgfleetError } from '../../core/errors.js';
import { parseSiteSettings as parseSettingsText } from '../../core/settings/settings-document.js';
import type { SettingsRuleContext } from '../../core/settings/settings-rules.js';
import { type SiteSettings, SiteSettingsSchema } from '../../core/settings/site-settings.js';

export interface LoadedSettings {
  settings: SiteSettings;
  /** The file the settings came from; undefined when none was found (all defaults). */
  source: string | undefined;
}

/** Where settings are looked up, first found wins: $PGFLEET_CONFIG_DIR, $XDG_CONFIG_HOME/pgfleet (~/.config), /etc/pgfleet. */
export function settingsCandidates(env: NodeJS.ProcessEnv = process.env, home: string = homedir()): string[] {
  const candidates: string[] = [];
  if (env.PGFLEET_CONFIG_DIR) candidates.push(join(env.PGFLEET_CONFIG_DIR, 'settings.yaml'));
  candidates.push(join(env.XDG_CONFIG_HOME || join(home, '.config'), 'pgfleet', 'settings.yaml'));
  candidates.push('/etc/pgfleet/settings.yaml');
  return candidates;
}

/** The settings in effect when no file exists: Patroni on, with an open etcd on 127.0.0.1:2379. */
export function defaultSiteSettings(): SiteSettings {
  return SiteSettingsSchema.parse({ patroni: {} });
}

/**
 * Loads the site settings: `explicitFile` (--settings) if given, else the
 * first candidate that exists, else every default. A missing explicit file
 * is an error, never a silent fallback.
 */
export function loadSiteSettings(
  explicitFile?: string,
  env: NodeJS.ProcessEnv = process.env,
  context: SettingsRuleContext = { fileExists: existsSync },
): LoadedSettings {
  const file = explicitFile ?? settingsCandidates(env).find((candidate) => existsSync(candidate));
  if (!file) return { settings: defaultSiteSettings(), source: undefined };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new PgfleetError('SETTINGS_UNREADABLE', `${file}: cannot read the settings file (${code})`, {
      hint: code === 'ENOENT' ? 'check the path given with --settings' : 'check the file permissions',
    });
  }
  return { settings: parseSettingsText(text, file, context), source: file };
}

/** Parses settings text with the real filesystem for the rules that need it. */
export function parseSiteSettings(
  text: string,
  file: string,
  context: SettingsRuleContext = { fileExists: existsSync },
): SiteSettings {
  return parseSettingsText(text, file, context);
}
