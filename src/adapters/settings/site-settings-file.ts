import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { LineCounter, isMap, parseDocument, type Node } from 'yaml';
import type { z } from 'zod';
import { PgfleetError } from '../../core/errors.js';
import { closestName } from '../../core/settings/closest-name.js';
import { type SiteSettings, SiteSettingsSchema } from '../../core/settings/site-settings.js';

export interface LoadedSettings {
  settings: SiteSettings;
  /** The file the settings came from; undefined when none was found (all defaults). */
  source: string | undefined;
}

/** Where settings are looked up, first found wins: --settings, $PGFLEET_CONFIG_DIR, $XDG_CONFIG_HOME/pgfleet, /etc/pgfleet. */
export function settingsCandidates(env: NodeJS.ProcessEnv = process.env): string[] {
  const candidates: string[] = [];
  if (env.PGFLEET_CONFIG_DIR) candidates.push(join(env.PGFLEET_CONFIG_DIR, 'settings.yaml'));
  candidates.push(join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'pgfleet', 'settings.yaml'));
  candidates.push('/etc/pgfleet/settings.yaml');
  return candidates;
}

export function loadSiteSettings(explicitFile?: string, env: NodeJS.ProcessEnv = process.env): LoadedSettings {
  const file = explicitFile ?? settingsCandidates(env).find((candidate) => existsSync(candidate));
  if (!file) return { settings: SiteSettingsSchema.parse({ patroni: {} }), source: undefined };
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new PgfleetError('SETTINGS_UNREADABLE', `${file}: cannot read the settings file (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { hint: 'check the path given with --settings or $PGFLEET_CONFIG_DIR' });
  }
  return { settings: parseSiteSettings(text, file), source: file };
}

/** Parses and validates settings text; errors name the file, the line, the field and what is expected. */
export function parseSiteSettings(text: string, file: string): SiteSettings {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, version: '1.1', prettyErrors: false });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const position = lineCounter.linePos(first.pos[0]);
    throw new PgfleetError('SETTINGS_YAML_INVALID', `${file}:${position.line}:${position.col}: not valid YAML: ${first.message.split('\n')[0]}`, { hint: 'fix the YAML syntax at that line' });
  }
  const raw = document.toJS() ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PgfleetError('SETTINGS_NOT_A_MAPPING', `${file}: the settings must be a YAML mapping (e.g. "patroni: {}")`, { hint: 'start the file with top-level keys such as patroni:' });
  }
  const result = SiteSettingsSchema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const path = issue.path.map(String);
  const where = nodeLine(document.getIn(path, true) as Node | undefined, lineCounter) ?? nodeLine(document.getIn(path.slice(0, -1), true) as Node | undefined, lineCounter);
  const location = `${file}${where ? `:${where}` : ''}`;
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const parent = document.getIn(path, true);
    const keyLine = isMap(parent) ? parent.items.find((pair) => String((pair.key as { value?: unknown })?.value) === key) : undefined;
    const keyWhere = keyLine ? nodeLine(keyLine.key as Node, lineCounter) : where;
    const suggestion = closestName(key, knownKeys(path));
    throw new PgfleetError('SETTINGS_UNKNOWN_KEY', `${file}${keyWhere ? `:${keyWhere}` : ''}: unknown key "${[...path, key].join('.')}"`, {
      hint: suggestion ? `did you mean "${[...path, suggestion].join('.')}"?` : `known keys here: ${knownKeys(path).join(', ')}`,
    });
  }
  throw new PgfleetError('SETTINGS_INVALID', `${location}: ${path.join('.') || '(top level)'}: ${issue.message}`, { hint: 'see `pgfleet settings schema` for every field and its type' });
}

function nodeLine(node: Node | undefined, lineCounter: LineCounter): string | undefined {
  if (!node?.range) return undefined;
  const position = lineCounter.linePos(node.range[0]);
  return `${position.line}`;
}

/** Keys the schema accepts at a path, for suggestions. */
function knownKeys(path: string[]): string[] {
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
