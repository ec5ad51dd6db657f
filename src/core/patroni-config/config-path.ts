import { type ConfigTree, isPlainObject } from './deep-merge.js';

/** The value at a key path of a configuration tree, or undefined. */
export function getPath(tree: ConfigTree, path: readonly string[]): unknown {
  let current: unknown = tree;
  for (const segment of path) {
    if (!isPlainObject(current)) return undefined;
    current = current[segment];
  }
  return current;
}

/** Sets the value at a key path, creating mappings on the way (a non-mapping on the way is replaced). */
export function setPath(tree: ConfigTree, path: readonly string[], value: unknown): void {
  let current = tree;
  for (const segment of path.slice(0, -1)) {
    const next = current[segment];
    if (!isPlainObject(next)) current[segment] = {};
    current = current[segment] as ConfigTree;
  }
  current[path.at(-1)!] = value;
}

/** Deletes the value at a key path; mappings left empty by the deletion go too. */
export function deletePath(tree: ConfigTree, path: readonly string[]): void {
  const parents: ConfigTree[] = [tree];
  for (const segment of path.slice(0, -1)) {
    const next = parents.at(-1)![segment];
    if (!isPlainObject(next)) return;
    parents.push(next);
  }
  const last = parents.at(-1)!;
  if (!(path.at(-1)! in last)) return;
  delete last[path.at(-1)!];
  for (let depth = parents.length - 1; depth > 0; depth -= 1) {
    if (Object.keys(parents[depth]!).length > 0) return;
    delete parents[depth - 1]![path[depth - 1]!];
  }
}
