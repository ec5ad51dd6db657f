import { Secret } from '../secret.js';
import { type ConfigTree, isPlainObject } from '../patroni-config/deep-merge.js';

/** One changed key of a configuration, as shown to the user: secret values are never carried. */
export interface ConfigChange {
  /** Dotted path: `postgresql.parameters.work_mem`. */
  path: string;
  /** Absent when the key is new. */
  before?: unknown;
  /** Absent when the key is removed. */
  after?: unknown;
  /** True for passwords: before/after are redacted. */
  secret?: boolean;
}

const SECRET_KEY = /password|passwd|secret|token/i;

/**
 * The keys that differ between two configuration trees. Mappings are
 * compared key by key; lists and scalars as a whole (a list is replaced
 * whole, as PATCH /config does). Values under password-like keys and Secret
 * values compare by content and are shown as `[redacted]`.
 */
export function diffConfig(before: ConfigTree, after: ConfigTree, prefix = ''): ConfigChange[] {
  const changes: ConfigChange[] = [];
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
  for (const key of keys) {
    const path = prefix ? `${prefix}.${key}` : key;
    const old = before[key];
    const next = after[key];
    if (old === undefined && next === undefined) continue;
    if (isPlainObject(old) && isPlainObject(next)) {
      changes.push(...diffConfig(old, next, path));
      continue;
    }
    if (sameValue(old, next)) continue;
    const secret = SECRET_KEY.test(key) || old instanceof Secret || next instanceof Secret;
    changes.push({
      path,
      ...(old === undefined ? {} : { before: secret ? Secret.redacted : plain(old) }),
      ...(next === undefined ? {} : { after: secret ? Secret.redacted : plain(next) }),
      ...(secret ? { secret: true } : {}),
    });
  }
  return changes;
}

/** Equality as Patroni would see the values once written: Secrets by content, numbers and their string forms alike. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a instanceof Secret || b instanceof Secret) return reveal(a) === reveal(b);
  if (Array.isArray(a) || Array.isArray(b)) {
    return (
      Array.isArray(a) &&
      Array.isArray(b) &&
      a.length === b.length &&
      a.every((item, index) => sameValue(item, b[index]))
    );
  }
  if (isPlainObject(a) || isPlainObject(b)) {
    if (!isPlainObject(a) || !isPlainObject(b)) return false;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((key) => sameValue(a[key], b[key]));
  }
  if (a === undefined || b === undefined || a === null || b === null) return a === b;
  return String(a) === String(b);
}

function reveal(value: unknown): unknown {
  return value instanceof Secret ? value.reveal() : value;
}

/** A copy without Secret instances (they would serialise as placeholders anyway). */
function plain(value: unknown): unknown {
  if (value instanceof Secret) return Secret.redacted;
  if (Array.isArray(value)) return value.map(plain);
  if (isPlainObject(value))
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, SECRET_KEY.test(key) ? Secret.redacted : plain(item)]),
    );
  return value;
}

/** Text lines for a list of changes: `~ path: before → after`, `+ path: value`, `- path`; list items one per line. */
export function renderConfigChanges(changes: readonly ConfigChange[]): string[] {
  const lines: string[] = [];
  for (const change of changes) {
    if (Array.isArray(change.before) || Array.isArray(change.after)) {
      const before = (Array.isArray(change.before) ? change.before : []).map(String);
      const after = (Array.isArray(change.after) ? change.after : []).map(String);
      lines.push(`~ ${change.path}:`);
      for (const item of before) if (!after.includes(item)) lines.push(`    - ${item}`);
      for (const item of after) if (!before.includes(item)) lines.push(`    + ${item}`);
      continue;
    }
    if (change.before === undefined) lines.push(`+ ${change.path}: ${show(change.after)}`);
    else if (change.after === undefined) lines.push(`- ${change.path} (was ${show(change.before)})`);
    else lines.push(`~ ${change.path}: ${show(change.before)} → ${show(change.after)}`);
  }
  return lines;
}

function show(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
