import { isDeepStrictEqual } from 'node:util';
import { type Document, isMap, isScalar, parseDocument } from 'yaml';
import { PgfleetError } from '../errors.js';

/**
 * Renames one top-level key of a YAML file pgfleet did not generate (a
 * Patroni member's `etcd:` section becoming `etcd3:`), touching only the
 * characters of that key: its value, every comment and every other line stay
 * byte for byte. The renamed text is parsed again and must mean the original
 * with only that key renamed, or nothing is returned. Renaming back gives the
 * original text.
 *
 * Refused (YAML_RENAME_UNSUPPORTED): the key missing, the new key already
 * present, a key that is not a plain scalar (an alias, a `? ` complex key),
 * or a document that is not a block mapping.
 */
export function renameTopLevelKey(original: string, from: string, to: string): string {
  const document = parse(original, 'YAML_RENAME_INVALID_SOURCE', 'the file is not valid YAML');
  const root = document.contents;
  if (!isMap(root) || root.flow) throw unsupported(from, to, 'the document is not a block mapping');
  const keyOf = (item: (typeof root.items)[number]): unknown => (isScalar(item.key) ? item.key.value : item.key);
  const pair = root.items.find((item) => keyOf(item) === from);
  if (!pair) throw unsupported(from, to, `it has no top-level "${from}" key`);
  if (root.items.some((item) => keyOf(item) === to))
    throw unsupported(from, to, `it already has a top-level "${to}" key`);
  const key = pair.key;
  if (!isScalar(key) || !key.range) throw unsupported(from, to, `its "${from}" key is not a plain key`);
  const [start, end] = key.range;
  const source = original.slice(start, end);
  const replacement = source === from ? to : quotedLike(source, to);
  if (replacement === undefined)
    throw unsupported(from, to, `its "${from}" key is written in a way pgfleet does not rewrite`);
  const text = `${original.slice(0, start)}${replacement}${original.slice(end)}`;
  const expected = Object.fromEntries(
    Object.entries(document.toJS() as Record<string, unknown>).map(([name, value]) => [
      name === from ? to : name,
      value,
    ]),
  );
  const result = parse(text, 'YAML_RENAME_NOT_SURGICAL', 'the renamed text is not valid YAML');
  if (!isDeepStrictEqual(result.toJS(), expected))
    throw new PgfleetError(
      'YAML_RENAME_NOT_SURGICAL',
      `renaming "${from}" to "${to}" in place would not give the intended document`,
      {
        hint: 'rename the section by hand, or report the file layout to pgfleet',
      },
    );
  return text;
}

/** `"etcd"` → `"etcd3"`, `'etcd'` → `'etcd3'`: the key's own quoting kept. */
function quotedLike(source: string, to: string): string | undefined {
  const quote = source[0];
  if ((quote === '"' || quote === "'") && source.endsWith(quote) && source.length >= 2) return `${quote}${to}${quote}`;
  return undefined;
}

function parse(text: string, code: string, what: string): Document {
  const document = parseDocument(text, { version: '1.1', prettyErrors: false });
  if (document.errors.length > 0)
    throw new PgfleetError(code, `${what}: ${document.errors[0]!.message.split('\n')[0]}`, {
      hint: 'fix the YAML syntax first',
    });
  return document;
}

function unsupported(from: string, to: string, why: string): PgfleetError {
  return new PgfleetError('YAML_RENAME_UNSUPPORTED', `cannot rename "${from}" to "${to}": ${why}`, {
    hint: 'rename the section by hand, or report the file layout to pgfleet',
  });
}
