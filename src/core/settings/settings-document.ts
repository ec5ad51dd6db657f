import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { PgfleetError } from '../errors.js';
import {
  type LocatedProblem,
  type LocatedYaml,
  formatField,
  keyLocation,
  locatedProblemsError,
  locationOf,
  parseLocatedYaml,
  scalarSource,
} from '../yaml/located-yaml.js';
import { closestName } from './closest-name.js';
import { checkSettingsRules, type SettingsRuleContext } from './settings-rules.js';
import { type SiteSettings, SiteSettingsSchema } from './site-settings.js';

/** One problem found in a settings file, located in it. */
export type SettingsProblem = LocatedProblem;

/** Scalars YAML 1.1 (PyYAML, pglift, Patroni) reads as booleans: a frequent surprise in enum fields. */
const YAML11_BOOLEAN_WORDS = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

/**
 * Parses and validates settings text. Every problem names the file, the
 * line and column, the field and what is expected; the first one is the
 * error's message and all of them are in its details. Relative paths of
 * files the settings point at are taken from the settings file's directory.
 */
export function parseSiteSettings(text: string, file: string, context: SettingsRuleContext): SiteSettings {
  const source = parseLocatedYaml(text, file, 'SETTINGS_YAML_INVALID');
  const raw: unknown = source.value ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PgfleetError(
      'SETTINGS_NOT_A_MAPPING',
      `${file}: the settings must be a YAML mapping of sections (e.g. "patroni: {}"), not a ${Array.isArray(raw) ? 'list' : typeof raw}`,
      {
        hint: 'start the file with top-level keys such as patroni:',
      },
    );
  }
  const result = SiteSettingsSchema.safeParse(raw);
  const problems = result.success
    ? checkSettingsRules(result.data, context).map((violation) => ({
        code: violation.code,
        location: locationOf(source, violation.path),
        field: formatField(violation.path),
        message: violation.message,
        hint: violation.hint,
      }))
    : result.error.issues.map((issue) => schemaProblem(source, issue));
  if (problems.length > 0) throw locatedProblemsError(problems);
  return resolveRelativePaths((result as { data: SiteSettings }).data, dirname(resolve(file)));
}

function schemaProblem(source: LocatedYaml, issue: z.core.$ZodIssue): SettingsProblem {
  const path = issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const known = knownKeys(path.filter((segment): segment is string => typeof segment === 'string'));
    const suggestion = closestName(key, known);
    const fieldPath = [...path, key];
    const location = keyLocation(source, path, key);
    const more =
      issue.keys.length > 1
        ? ` (and ${issue.keys
            .slice(1)
            .map((other) => `"${other}"`)
            .join(', ')})`
        : '';
    return {
      code: 'SETTINGS_UNKNOWN_KEY',
      location,
      field: formatField(fieldPath),
      message: `unknown key "${formatField(fieldPath)}"${more}`,
      hint: suggestion
        ? `did you mean "${formatField([...path, suggestion])}"?`
        : known.length > 0
          ? `known keys here: ${known.join(', ')}`
          : 'remove it',
    };
  }
  const field = formatField(path);
  const written = scalarSource(source, path);
  const booleanWord = typeof written === 'string' && YAML11_BOOLEAN_WORDS.test(written);
  return {
    code: 'SETTINGS_INVALID',
    location: locationOf(source, path),
    field,
    message: `${field || '(top level)'}: ${issue.message}`,
    hint: booleanWord
      ? `YAML 1.1 reads ${written} as a boolean: quote it ('${written}')`
      : 'see `pgfleet settings schema` for every field and its type',
  };
}

export { formatField };

/** Keys the schema accepts at a path, for suggestions. */
export function knownKeys(path: string[]): string[] {
  let schema: z.ZodType = SiteSettingsSchema;
  for (const segment of path) {
    const shape = objectShape(schema);
    if (!shape?.[segment]) return [];
    schema = shape[segment]!;
  }
  return Object.keys(objectShape(schema) ?? {});
}

function objectShape(schema: z.ZodType): Record<string, z.ZodType> | undefined {
  let current: unknown = schema;
  for (let depth = 0; depth < 5 && current; depth += 1) {
    const candidate = current as { shape?: Record<string, z.ZodType>; def?: { innerType?: unknown } };
    if (candidate.shape) return candidate.shape;
    current = candidate.def?.innerType;
  }
  return undefined;
}

/** Settings fields naming a file or directory, resolved against the settings file's directory. */
export const SETTINGS_PATH_FIELDS: readonly string[][] = [
  ['prefix'],
  ['postgresql', 'bin_dir'],
  ['postgresql', 'datadir'],
  ['postgresql', 'rundir'],
  ['patroni', 'template'],
  ['patroni', 'etcd', 'cacert'],
  ['patroni', 'etcd', 'cert'],
  ['patroni', 'etcd', 'key'],
  ['patroni', 'restapi', 'cafile'],
  ['patroni', 'restapi', 'certfile'],
  ['patroni', 'restapi', 'keyfile'],
  ['patroni', 'ctl', 'cacert'],
  ['patroni', 'ctl', 'certfile'],
  ['patroni', 'ctl', 'keyfile'],
  ['patroni', 'configdir'],
  ['patroni', 'logdir'],
  ['etcd_admin', 'password_file'],
  ['tenancy', 'secrets_dir'],
  ['tenancy', 'tenants_file'],
];

/** Files a settings file points at: a relative path means "next to the settings file". */
export function resolveRelativePaths(settings: SiteSettings, baseDir: string): SiteSettings {
  const copy = structuredClone(settings) as Record<string, unknown>;
  for (const path of SETTINGS_PATH_FIELDS) {
    let parent: Record<string, unknown> | undefined = copy;
    for (const segment of path.slice(0, -1)) {
      const next: unknown = parent?.[segment];
      parent = next && typeof next === 'object' ? (next as Record<string, unknown>) : undefined;
    }
    const key = path.at(-1)!;
    const value = parent?.[key];
    if (parent && typeof value === 'string' && !isAbsolute(value)) parent[key] = resolve(baseDir, value);
  }
  return copy as SiteSettings;
}
