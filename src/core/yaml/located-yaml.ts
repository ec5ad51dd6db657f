import { type Document, LineCounter, isMap, isScalar, type Node, parseDocument } from 'yaml';
import { PgfleetError } from '../errors.js';

/**
 * A YAML file parsed with positions kept, so that every problem found in it
 * (by a zod schema or a rule) can name the file, the line and the field.
 * YAML 1.1 like PyYAML: the same file means the same thing to pgfleet,
 * pglift and Patroni.
 */
export interface LocatedYaml {
  file: string;
  document: Document;
  lineCounter: LineCounter;
  /** The document as plain data (null for an empty file). */
  value: unknown;
}

/** One problem found in a YAML file, located in it. */
export interface LocatedProblem {
  code: string;
  /** `file:line:col`, or just the file when the position is unknown. */
  location: string;
  /** Dotted field path, e.g. `patroni.etcd.hosts[1]`. */
  field: string;
  message: string;
  hint: string;
}

/** Parses YAML text; a syntax error becomes `code` with `file:line:col` in its message. */
export function parseLocatedYaml(text: string, file: string, code: string): LocatedYaml {
  const lineCounter = new LineCounter();
  const document = parseDocument(text, { lineCounter, version: '1.1', prettyErrors: false });
  if (document.errors.length > 0) {
    const first = document.errors[0]!;
    const position = lineCounter.linePos(first.pos[0]);
    throw new PgfleetError(
      code,
      `${file}:${position.line}:${position.col}: not valid YAML: ${first.message.split('\n')[0]}`,
      {
        hint: 'fix the YAML syntax at that line',
        details: { file, line: position.line, column: position.col },
      },
    );
  }
  return { file, document, lineCounter, value: document.toJS() ?? null };
}

/** `file:line:col` of the node at `path`, or of its nearest existing ancestor; the file alone when none has a position. */
export function locationOf(source: LocatedYaml, path: readonly (string | number)[]): string {
  for (let length = path.length; length > 0; length -= 1) {
    const found = nodeLocation(source, source.document.getIn(path.slice(0, length), true) as Node | undefined);
    if (found) return found;
  }
  return source.file;
}

/** Line number (1-based) of the node at `path`, when it has a position. */
export function lineOf(source: LocatedYaml, path: readonly (string | number)[]): number | undefined {
  const node = source.document.getIn(path, true) as Node | undefined;
  return node && typeof node === 'object' && node.range ? source.lineCounter.linePos(node.range[0]).line : undefined;
}

/** `file:line:col` of a key itself in the mapping at `parentPath` (for unknown keys). */
export function keyLocation(source: LocatedYaml, parentPath: readonly (string | number)[], key: string): string {
  const parent = parentPath.length === 0 ? source.document.contents : source.document.getIn(parentPath, true);
  const pair = isMap(parent)
    ? parent.items.find((item) => isScalar(item.key) && String(item.key.value) === key)
    : undefined;
  return nodeLocation(source, pair?.key as Node | undefined) ?? locationOf(source, parentPath);
}

/** The source text of the scalar at `path` as written (`off`, `'off'`), when it is one. */
export function scalarSource(source: LocatedYaml, path: readonly (string | number)[]): string | undefined {
  const node = source.document.getIn(path, true);
  return isScalar(node) ? node.source : undefined;
}

/** Dotted field path as users read it: `patroni.etcd.hosts[1]`. */
export function formatField(path: readonly (string | number)[]): string {
  return path.reduce<string>(
    (text, segment) => (typeof segment === 'number' ? `${text}[${segment}]` : text ? `${text}.${segment}` : segment),
    '',
  );
}

function nodeLocation(source: LocatedYaml, node: Node | undefined): string | undefined {
  if (!node || typeof node !== 'object' || !node.range) return undefined;
  const position = source.lineCounter.linePos(node.range[0]);
  return `${source.file}:${position.line}:${position.col}`;
}

/** One error for every problem of a file: the first is the message, the others are counted in the hint, all are in the details. */
export function locatedProblemsError(problems: readonly LocatedProblem[]): PgfleetError {
  const first = problems[0]!;
  const others = problems.slice(1).map((problem) => `${problem.location}: ${problem.field}`);
  return new PgfleetError(first.code, `${first.location}: ${first.message}`, {
    hint: others.length === 0 ? first.hint : `${first.hint}; ${others.length} more problem(s): ${others.join(', ')}`,
    details: { problems },
  });
}
