import { z } from 'zod';
import { SiteSettingsSchema } from './site-settings.js';

/**
 * The JSON Schema of the settings file, for editors (yaml-language-server:
 * `# yaml-language-server: $schema=.../settings.schema.json`). Input side:
 * fields with a default are optional.
 */
export function settingsJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(SiteSettingsSchema, { io: 'input', target: 'draft-2020-12' }) as Record<
    string,
    unknown
  >;
  return { ...schema, title: 'pgfleet site settings' };
}

/** The text `pgfleet settings schema` prints and docs/settings.schema.json holds. */
export function settingsJsonSchemaText(): string {
  return `${JSON.stringify(settingsJsonSchema(), null, 2)}\n`;
}
