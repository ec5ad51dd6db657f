import { isDeepStrictEqual } from 'node:util';
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  type Pair,
  parseDocument,
  type Scalar,
  type YAMLMap,
  YAMLMap as YamlMapNode,
} from 'yaml';
import { PgfleetError } from '../errors.js';
import { Secret } from '../secret.js';
import { type ScalarStyle, type ScalarValue, yaml11Scalar } from './yaml11-scalar.js';

/** One key to set (to a scalar) or delete, by its path of mapping keys: `['etcd3', 'password']`. */
export type YamlChange =
  { path: readonly string[]; value: ScalarValue | Secret } | { path: readonly string[]; delete: true };

export interface SurgicalEdit {
  text: string;
  /** Whether a Secret was written (the caller tightens the file's mode). */
  wroteSecret: boolean;
  /** Paths whose value actually changed (a set to the same value, a delete of an absent key are not). */
  changedPaths: string[][];
}

/**
 * Applies `changes` to the YAML text of a file pgfleet did not generate,
 * touching only the lines of the changed keys: every comment, blank line,
 * key order and quoting elsewhere stays byte for byte.
 *
 * The yaml library's Document API finds each node and its source range and
 * says what the result must mean (setIn/deleteIn on a second copy); the text
 * is then spliced at those ranges, because `Document.toString()` re-emits the
 * whole file (it re-indents sequences and comments, moves comments onto key
 * lines). The spliced text is parsed again and must mean exactly what the
 * Document API says, or nothing is returned.
 *
 * Supported: scalars in block mappings, new keys (and new nested block
 * mappings) under a block mapping or a key whose value is empty. A flow
 * collection, a sequence or an alias on the path is refused
 * (YAML_EDIT_UNSUPPORTED): those are rare in Patroni files and not worth a
 * risky rewrite. Errors never carry a value, only paths.
 */
export function editYamlSurgically(original: string, changes: readonly YamlChange[]): SurgicalEdit {
  let text = original;
  const expected = parseStrict(original, 'YAML_EDIT_INVALID_SOURCE', 'the file is not valid YAML');
  const changedPaths: string[][] = [];
  for (const change of changes) {
    const before = text;
    text = 'delete' in change ? deleteKey(text, change.path) : setKey(text, change.path, revealed(change.value));
    if (text !== before) changedPaths.push([...change.path]);
    applyToDocument(expected, change);
  }
  const result = parseStrict(text, 'YAML_EDIT_NOT_SURGICAL', 'the edited text is not valid YAML');
  if (!isDeepStrictEqual(result.toJS(), expected.toJS())) {
    throw new PgfleetError(
      'YAML_EDIT_NOT_SURGICAL',
      `editing ${changes.map((change) => change.path.join('.')).join(', ')} in place would not give the intended document`,
      {
        hint: 'edit these keys by hand, or report the file layout to pgfleet',
      },
    );
  }
  return {
    text,
    wroteSecret: changes.some((change) => 'value' in change && change.value instanceof Secret),
    changedPaths,
  };
}

function revealed(value: ScalarValue | Secret): ScalarValue {
  return value instanceof Secret ? value.reveal() : value;
}

function parseStrict(text: string, code: string, what: string): Document {
  const document = parseDocument(text, { version: '1.1', prettyErrors: false });
  if (document.errors.length > 0) {
    throw new PgfleetError(code, `${what}: ${document.errors[0]!.message.split('\n')[0]}`, {
      hint: 'fix the YAML syntax first',
    });
  }
  return document;
}

/** What the change means, through the Document API (missing levels created one by one: with version 1.1, setIn on a missing multi-level path leaves an empty map). */
function applyToDocument(document: Document, change: YamlChange): void {
  if ('delete' in change) {
    if (document.hasIn(change.path)) document.deleteIn(change.path);
    return;
  }
  for (let length = 1; length < change.path.length; length += 1) {
    const prefix = change.path.slice(0, length);
    const node = document.getIn(prefix, true);
    if (!isMap(node)) document.setIn(prefix, new YamlMapNode());
  }
  document.setIn(change.path, revealed(change.value));
}

interface Located {
  /** The deepest mapping on the path and how many path keys it covers. */
  map: YAMLMap;
  depth: number;
  /** The pair at path[depth] in `map`, when it exists. */
  pair: Pair | undefined;
}

function setKey(text: string, path: readonly string[], value: ScalarValue): string {
  const document = parseStrict(text, 'YAML_EDIT_INVALID_SOURCE', 'the file is not valid YAML');
  const root = document.contents;
  if (root === null || (isScalar(root) && root.value === null)) {
    // An empty file (or comments only): the new keys go at the end.
    return insertLines(text, text.length, blockLines(path, value, 0, 2));
  }
  const step = indentStep(text, document);
  const { map, depth, pair } = locate(document, path);
  if (pair === undefined) {
    // path[depth] is missing in `map`: new lines after its last item.
    return insertIntoMap(text, map, path.slice(depth), value, step);
  }
  const node = pair.value;
  if (!isScalar(node) || !isScalar(pair.key) || !pair.key.range || !node.range)
    throw unsupported(path, 'its value is not a plain key and scalar');
  const rest = path.slice(depth + 1);
  if (rest.length === 0) return replaceScalar(text, node, value, path);
  // The key exists with an empty value (`etcd3:`): it becomes a block mapping holding the rest.
  if (node.value === null && node.source === '') {
    const keyColumn = columnOf(text, pair.key.range[0]);
    return insertLines(text, endOfLine(text, node.range[0]), blockLines(rest, value, keyColumn + step, step));
  }
  throw unsupported(path, `${path.slice(0, depth + 1).join('.')} is not a mapping`);
}

function deleteKey(text: string, path: readonly string[]): string {
  const document = parseStrict(text, 'YAML_EDIT_INVALID_SOURCE', 'the file is not valid YAML');
  if (!isMap(document.contents)) return text;
  const { map, depth, pair } = locate(document, path);
  if (pair === undefined || depth !== path.length - 1) return text;
  if (map.items.length === 1) throw unsupported(path, 'it is the only key of its mapping');
  const keyStart = (pair.key as Scalar).range![0];
  const lineStart = text.lastIndexOf('\n', keyStart - 1) + 1;
  if (text.slice(lineStart, keyStart).trim() !== '') throw unsupported(path, 'its key does not start its line');
  const valueEnd =
    pair.value && (pair.value as Scalar).range ? (pair.value as Scalar).range![1] : (pair.key as Scalar).range![1];
  return `${text.slice(0, lineStart)}${text.slice(endOfLine(text, valueEnd))}`;
}

/** Walks the path through block mappings as far as it exists. */
function locate(document: Document, path: readonly string[]): Located {
  const root = document.contents;
  if (!isMap(root)) throw unsupported(path, 'the document is not a mapping');
  let map: YAMLMap = root;
  for (let depth = 0; ; depth += 1) {
    if (map.flow) throw unsupported(path, `${path.slice(0, depth).join('.') || 'the document'} is a flow mapping`);
    const pair: Pair | undefined = map.items.find(
      (item) => isScalar(item.key) && String(item.key.value) === path[depth],
    );
    if (pair === undefined || depth === path.length - 1) return { map, depth, pair };
    const child: unknown = pair.value;
    if (isAlias(child) || isSeq(child))
      throw unsupported(path, `${path.slice(0, depth + 1).join('.')} is ${isAlias(child) ? 'an alias' : 'a sequence'}`);
    if (!isMap(child)) return { map, depth, pair };
    map = child;
  }
}

function replaceScalar(text: string, node: Scalar, value: ScalarValue, path: readonly string[]): string {
  if (node.anchor !== undefined || node.tag !== undefined) throw unsupported(path, 'its value has an anchor or a tag');
  if (node.value === value) return text;
  const [start, end] = node.range!;
  const replacement = yaml11Scalar(value, styleOf(node));
  // An empty value (`password:`) has no source: the new scalar needs its space after the colon.
  const spaced = start === end && text[start - 1] === ':' ? ` ${replacement}` : replacement;
  return `${text.slice(0, start)}${spaced}${text.slice(end)}`;
}

function insertIntoMap(text: string, map: YAMLMap, keys: readonly string[], value: ScalarValue, step: number): string {
  const first = map.items[0];
  const last = map.items[map.items.length - 1];
  if (!first || !last || !isScalar(first.key) || !first.key.range || !isScalar(last.key) || !last.key.range)
    throw unsupported(keys, 'its parent mapping has no plain keys');
  const column = columnOf(text, first.key.range[0]);
  const lastValue = last.value as { range?: [number, number, number] } | null;
  const end = lastValue?.range ? lastValue.range[1] : last.key.range[1];
  return insertLines(text, endOfLine(text, end), blockLines(keys, value, column, step));
}

/** Inserts whole lines at `at`, a line start (or the end of a text without a final newline). */
function insertLines(text: string, at: number, lines: string[]): string {
  // A file with CRLF line ends gets CRLF lines.
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const block = lines.join(eol);
  if (at === text.length && text.length > 0 && !text.endsWith('\n')) return `${text}${eol}${block}`;
  return `${text.slice(0, at)}${block}${eol}${text.slice(at)}`;
}

/** `key:` / `  key2: value` lines for keys [key, key2], the first at `column`. */
function blockLines(keys: readonly string[], value: ScalarValue, column: number, step: number): string[] {
  return keys.map((key, index) => {
    const indent = ' '.repeat(column + index * step);
    const tail = index === keys.length - 1 ? ` ${yaml11Scalar(value)}` : '';
    return `${indent}${yaml11Scalar(key)}:${tail}`;
  });
}

/** The index just after the newline ending the line that holds the character before `position` (a range end). */
function endOfLine(text: string, position: number): number {
  if (position > 0 && text[position - 1] === '\n') return position;
  const newline = text.indexOf('\n', position);
  return newline === -1 ? text.length : newline + 1;
}

function columnOf(text: string, position: number): number {
  return position - (text.lastIndexOf('\n', position - 1) + 1);
}

function styleOf(node: Scalar): ScalarStyle {
  return node.type === 'QUOTE_SINGLE' ? 'single' : node.type === 'QUOTE_DOUBLE' ? 'double' : 'plain';
}

/** The file's own indentation step: a nested block mapping's key column minus its parent key's; 2 when there is none. */
function indentStep(text: string, document: Document): number {
  const root = document.contents;
  if (!isMap(root)) return 2;
  for (const pair of root.items) {
    const child = pair.value;
    if (isMap(child) && !child.flow && isScalar(pair.key) && pair.key.range) {
      const first = child.items[0];
      if (first && isScalar(first.key) && first.key.range) {
        const step = columnOf(text, first.key.range[0]) - columnOf(text, pair.key.range[0]);
        if (step > 0) return step;
      }
    }
  }
  return 2;
}

function unsupported(path: readonly string[], why: string): PgfleetError {
  return new PgfleetError('YAML_EDIT_UNSUPPORTED', `cannot edit ${path.join('.')} in place: ${why}`, {
    hint: 'edit this key by hand (the rest of the file is left as it is)',
  });
}
