import { type ConfigTree, isPlainObject } from '../patroni-config/deep-merge.js';

/**
 * What Patroni's `PATCH /config` does to the dynamic configuration (3.0.2,
 * `patch_config`): mappings merge key by key, `null` deletes a key, any other
 * value (lists such as pg_hba included) replaces the old one whole.
 */
export function applyDynamicPatch(current: ConfigTree, patch: ConfigTree): ConfigTree {
  const result: ConfigTree = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else if (isPlainObject(value) && isPlainObject(result[key]))
      result[key] = applyDynamicPatch(result[key] as ConfigTree, value);
    else if (isPlainObject(value)) result[key] = applyDynamicPatch({}, value);
    else if (value !== undefined) result[key] = value;
  }
  return result;
}
