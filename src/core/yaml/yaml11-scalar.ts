import { parse } from 'yaml';

/** How a scalar is written in the source: kept when a value is replaced, so a file's quoting survives an edit. */
export type ScalarStyle = 'plain' | 'single' | 'double';

export type ScalarValue = string | number | boolean;

/**
 * Source text of one scalar that means the same thing to PyYAML (YAML 1.1,
 * what Patroni parses with) and to YAML 1.2 readers.
 *
 * Strings are written plain only when they start with a letter or `_`, hold
 * no YAML indicator, and read back as the same string under both schemas:
 * `on`, `off`, `yes`, `no`, `y`, `n` (1.1 booleans), `null`, and anything that
 * looks like a number, a date, a sexagesimal (`1:20`), `=` or `<<` are double
 * quoted, and so is a password that would not stay a string. `preferred`
 * keeps the quoting the replaced scalar had.
 */
export function yaml11Scalar(value: ScalarValue, preferred: ScalarStyle = 'plain'): string {
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError('a YAML scalar number must be finite');
    return String(value);
  }
  if (preferred === 'single' && singleQuotable(value)) return `'${value.replace(/'/g, "''")}'`;
  if (preferred !== 'double' && plainIsSafe(value)) return value;
  return doubleQuoted(value);
}

/** True when `value` written without quotes reads back as the same string in YAML 1.1 and 1.2. */
export function plainIsSafe(value: string): boolean {
  // Letters first rules out numbers, dates, sexagesimals, `.inf`, `~`, `=`, `<<` and every indicator character.
  if (!/^[A-Za-z_][A-Za-z0-9_.\/@+-]*$/.test(value)) return false;
  return readsBackAs(value, '1.1') && readsBackAs(value, '1.2');
}

/** A JSON string is a valid YAML double-quoted scalar with the same escapes (`\"`, `\\`, `\n`, `\uXXXX`). */
function doubleQuoted(value: string): string {
  return JSON.stringify(value);
}

function singleQuotable(value: string): boolean {
  // Single quotes cannot escape control characters, and a line break would be folded.
  return !/[\u0000-\u001f\u007f]/.test(value);
}

function readsBackAs(value: string, version: '1.1' | '1.2'): boolean {
  try {
    return (parse(`k: ${value}\n`, { version }) as { k?: unknown } | null)?.k === value;
  } catch {
    return false;
  }
}
