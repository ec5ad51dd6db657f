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
      if (/password|passwd|secret|token/i.test(key) && (typeof item === 'string' || typeof item === 'number'))
        found.push(String(item));
      else passwordValuesIn(item, found);
    }
  }
  return found;
}

/**
 * A configuration read back from a YAML file, with every password-like value
 * as a Secret again: rewritten files keep their values, while messages about
 * the tree (validator output, errors) cannot show them.
 */
export function withSecretValues<T>(value: T): T {
  if (Array.isArray(value)) return value.map((item) => withSecretValues(item)) as T;
  if (value && typeof value === 'object' && !(value instanceof Secret)) {
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [
        key,
        /password|passwd|secret|token/i.test(key) && (typeof item === 'string' || typeof item === 'number')
          ? new Secret(String(item))
          : withSecretValues(item),
      ]),
    ) as T;
  }
  return value;
}
