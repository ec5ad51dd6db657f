import { Secret } from '../secret.js';
import type { SiteSettings } from './site-settings.js';

/** Keys that would hold a secret value itself (not the path of a file holding one). */
const SECRET_KEY = /password|secret|token/i;
const PATH_OR_NAME_KEY = /_(?:file|dir|format)$/;

/**
 * The settings as `settings show` prints them: every value, except that a
 * key holding a secret shows a placeholder. Today's schema keeps secrets in
 * files only; this guards fields added later.
 */
export function redactedSettings(settings: SiteSettings): Record<string, unknown> {
  return redact(settings) as Record<string, unknown>;
}

function redact(value: unknown, key = ''): unknown {
  if (value instanceof Secret) return Secret.redacted;
  if (
    key &&
    SECRET_KEY.test(key) &&
    !PATH_OR_NAME_KEY.test(key) &&
    value !== undefined &&
    value !== null &&
    typeof value !== 'object'
  )
    return Secret.redacted;
  if (Array.isArray(value)) return value.map((item) => redact(item));
  if (value && typeof value === 'object') {
    const result: Record<string, unknown> = {};
    for (const [name, item] of Object.entries(value)) if (item !== undefined) result[name] = redact(item, name);
    return result;
  }
  return value;
}
