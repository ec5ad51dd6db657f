import { dirname, isAbsolute, resolve } from 'node:path';
import { LineCounter, type Document, isMap, isScalar, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { PgfleetError } from '../errors.js';
import { closestName } from './closest-name.js';
import { checkSettingsRules, type SettingsRuleContext } from './settings-rules.js';
import { type SiteSettings, SiteSettingsSchema } from './site-settings.js';

/** One problem found in a settings file, located in it. */
export interface SettingsProblem {
  code: string;
  /** `file:line:col`, or just the file when the position is unknown. */
  location: string;
  /** Dotted field path, e.g. `patroni.etcd.hosts[1]`. */
  field: string;
  message: string;
  hint: string;
}

/** Scalars YAML 1.1 (PyYAML, pglift, Patroni) reads as booleans: a frequent surprise in enum fields. */
const YAML11_BOOLEAN_WORDS = /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$/;

/**
 * Parses and validates settings text. Every problem names the file, the
 * line and column, the field and what is expected; the first one is the
 * error's message and all of them are in its details. Relative paths of
 * files the settings point at are taken from the settings file's directory.
 */
export function parseSiteSettings(text: string, file: string, context: SettingsRuleContext): SiteSettings {
  const lineCounter = new LineCounter();
  // YAML 1.1 like PyYAML: the same file means the same thing to pgfleet, pglift and Patroni.
  const document = parseDocument(text, { lineCounter, version: '1.1', prettyErrors: false });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const position = lineCounter.linePos(first.pos[0]);
    throw new PgfleetError('SETTINGS_YAML_INVALID', `${file}:${position.line}:${position.col}: not valid YAML: ${first.message.split('\n')[0]}`, {
      hint: 'fix the YAML syntax at that line',
      details: { file, line: position.line, column: position.col },
    });
  }
  const raw: unknown = document.toJS() ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new PgfleetError('SETTINGS_NOT_A_MAPPING', `${file}: the settings must be a YAML mapping of sections (e.g. "patroni: {}"), not a ${Array.isArray(raw) ? 'list' : typeof raw}`, {
      hint: 'start the file with top-level keys such as patroni:',
    });
  }
  const result = SiteSettingsSchema.safeParse(raw);
  const problems = result.success
    ? checkSettingsRules(result.data, context).map((violation) => locate(document, lineCounter, file, violation.path, violation.code, violation.message, violation.hint))
    : result.error.issues.map((issue) => schemaProblem(document, lineCounter, file, issue));
  if (problems.length > 0) throw settingsError(problems);
  return resolveRelativePaths((result as { data: SiteSettings }).data, dirname(resolve(file)));
}

function settingsError(problems: SettingsProblem[]): PgfleetError {
  const first = problems[0]!;
  const others = problems.slice(1).map((problem) => `${problem.location}: ${problem.field}`);
  return new PgfleetError(first.code, `${first.location}: ${first.message}`, {
    hint: others.length === 0 ? first.hint : `${first.hint}; ${others.length} more problem(s): ${others.join(', ')}`,
    details: { problems },
  });
}

function schemaProblem(document: Document, lineCounter: LineCounter, file: string, issue: z.core.$ZodIssue): SettingsProblem {
  const path = issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const known = knownKeys(path.filter((segment): segment is string => typeof segment === 'string'));
    const suggestion = closestName(key, known);
    const fieldPath = [...path, key];
    const parent = document.getIn(path, true);
    const pair = isMap(parent) ? parent.items.find((item) => isScalar(item.key) && String(item.key.value) === key) : undefined;
    const location = positionOf(pair?.key as Node | undefined, lineCounter, file) ?? deepestPosition(document, lineCounter, file, path);
    const more = issue.keys.length > 1 ? ` (and ${issue.keys.slice(1).map((other) => `"${other}"`).join(', ')})` : '';
    return {
      code: 'SETTINGS_UNKNOWN_KEY',
      location,
      field: formatField(fieldPath),
      message: `unknown key "${formatField(fieldPath)}"${more}`,
      hint: suggestion ? `did you mean "${formatField([...path, suggestion])}"?` : known.length > 0 ? `known keys here: ${known.join(', ')}` : 'remove it',
    };
  }
  const field = formatField(path);
  const node = document.getIn(path, true) as Node | undefined;
  const source = isScalar(node) ? node.source : undefined;
  const booleanWord = typeof source === 'string' && YAML11_BOOLEAN_WORDS.test(source);
  return {
    code: 'SETTINGS_INVALID',
    location: deepestPosition(document, lineCounter, file, path),
    field,
    message: `${field || '(top level)'}: ${issue.message}`,
    hint: booleanWord ? `YAML 1.1 reads ${source} as a boolean: quote it ('${source}')` : 'see `pgfleet settings schema` for every field and its type',
  };
}

function locate(document: Document, lineCounter: LineCounter, file: string, path: string[], code: string, message: string, hint: string): SettingsProblem {
  return { code, location: deepestPosition(document, lineCounter, file, path), field: formatField(path), message, hint };
}

/** Position of the node at `path`, or of its nearest existing ancestor. */
function deepestPosition(document: Document, lineCounter: LineCounter, file: string, path: (string | number)[]): string {
  for (let length = path.length; length > 0; length -= 1) {
    const found = positionOf(document.getIn(path.slice(0, length), true) as Node | undefined, lineCounter, file);
    if (found) return found;
  }
  return file;
}

function positionOf(node: Node | undefined, lineCounter: LineCounter, file: string): string | undefined {
  if (!node || typeof node !== 'object' || !node.range) return undefined;
  const position = lineCounter.linePos(node.range[0]);
  return `${file}:${position.line}:${position.col}`;
}

export function formatField(path: (string | number)[]): string {
  return path.reduce<string>((text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : text ? `${text}.${segment}` : segment), '');
}

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
