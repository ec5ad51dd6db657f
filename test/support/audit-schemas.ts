import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AjvModule from 'ajv';
import AjvDraft04Module from 'ajv-draft-04';
import addFormatsModule from 'ajv-formats';

// CommonJS packages: their `default` export is the class or the plugin.
const Ajv = AjvModule.default;
const AjvDraft04 = AjvDraft04Module.default;
const addFormats = addFormatsModule.default;

/**
 * Validators for what `pgfleet audit` prints: the committed JSON Schema of
 * its JSON output (docs/audit-output.schema.json, draft-07) and the official
 * SARIF 2.1.0 schema (OASIS errata01, draft-04, vendored under test/fixtures).
 */
const load = (relative: string) =>
  JSON.parse(readFileSync(fileURLToPath(new URL(relative, import.meta.url)), 'utf8')) as Record<string, unknown>;

export const AUDIT_OUTPUT_SCHEMA_PATH = fileURLToPath(new URL('../../docs/audit-output.schema.json', import.meta.url));

export interface SchemaCheck {
  valid: boolean;
  errors: string;
}

export function validateAuditJson(value: unknown): SchemaCheck {
  const ajv = new Ajv({ allErrors: true, strict: true });
  addFormats(ajv);
  const validate = ajv.compile(load('../../docs/audit-output.schema.json'));
  const valid = validate(value);
  return { valid, errors: ajv.errorsText(validate.errors) };
}

export function validateSarif(value: unknown): SchemaCheck {
  // The official schema uses draft-04 keywords and formats (uri, uri-reference, date-time).
  const ajv = new AjvDraft04({ allErrors: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(load('../fixtures/sarif/sarif-schema-2.1.0.json'));
  const valid = validate(value);
  return { valid, errors: ajv.errorsText(validate.errors) };
}
