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
