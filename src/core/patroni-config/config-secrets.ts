import { Secret } from '../secret.js';

/** Every Secret in a configuration tree: what must never appear in a message about it. */
export function secretsIn(value: unknown, found: Secret[] = []): Secret[] {
  if (value instanceof Secret) found.push(value);
  else if (Array.isArray(value)) for (const item of value) secretsIn(item, found);
  else if (value && typeof value === 'object') for (const item of Object.values(value)) secretsIn(item, found);
  return found;
}

/** String values under password-like keys of a plain tree (a Patroni YAML read back): to keep out of messages. */
export function passwordValuesIn(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const item of value) passwordValuesIn(item, found);
  else if (value && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      if (/password|passwd|secret|token/i.test(key) && (typeof item === 'string' || typeof item === 'number')) found.push(String(item));
      else passwordValuesIn(item, found);
    }
  }
  return found;
}

/** A copy of a tree read from a YAML in which the values under password-like keys are Secrets again (kept out of messages, written as is). */
export function sealPasswords<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sealPasswords) as T;
  if (value && typeof value === 'object' && !(value instanceof Secret)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [key, /password|passwd|secret|token/i.test(key) && (typeof item === 'string' || typeof item === 'number') ? new Secret(String(item)) : sealPasswords(item)]),
    ) as T;
  }
  return value;
}
