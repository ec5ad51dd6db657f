export type ConfigTree = { [key: string]: unknown };

export function isPlainObject(value: unknown): value is ConfigTree {
  return (
    typeof value === 'object' &&
    value !== null &&
    !Array.isArray(value) &&
    Object.getPrototypeOf(value) === Object.prototype
  );
}

/**
 * Merges layers left to right: mappings merge key by key, anything else
 * (scalars, lists, Secret values) is replaced whole by the later layer.
 * Inputs are not modified.
 */
export function deepMerge(...layers: ConfigTree[]): ConfigTree {
  const result: ConfigTree = {};
  for (const layer of layers) {
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      const current = result[key];
      result[key] = isPlainObject(current) && isPlainObject(value) ? deepMerge(current, value) : cloneValue(value);
    }
  }
  return result;
}

function cloneValue(value: unknown): unknown {
  if (isPlainObject(value)) return deepMerge(value);
  if (Array.isArray(value)) return value.map(cloneValue);
  return value;
}

/** Every dotted path of leaves (and lists) in a tree: for telling which template keys a managed value overrides. */
export function leafPaths(tree: ConfigTree, prefix = ''): string[] {
  const paths: string[] = [];
  for (const [key, value] of Object.entries(tree)) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value)) paths.push(...leafPaths(value, path));
    else paths.push(path);
  }
  return paths;
}
