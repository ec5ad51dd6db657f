import { parse } from 'yaml';

export type PlainRecord = Record<string, unknown>;

/** A YAML mapping as plain data (YAML 1.1, as PyYAML and Go's yaml read it); undefined when the text is not one. */
export function yamlRecord(text: string | undefined): PlainRecord | undefined {
  if (text === undefined) return undefined;
  try {
    const value: unknown = parse(text, { version: '1.1' });
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

export function isRecord(value: unknown): value is PlainRecord {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A scalar as text ('' when absent or not a scalar). */
export function text(value: unknown): string {
  return typeof value === 'string'
    ? value
    : typeof value === 'number' || typeof value === 'boolean'
      ? String(value)
      : '';
}

/** A list given as a YAML sequence or as one comma-separated string. */
export function textList(value: unknown): string[] {
  if (Array.isArray(value))
    return value
      .map(text)
      .map((item) => item.trim())
      .filter((item) => item.length > 0);
  return text(value)
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item.length > 0);
}
