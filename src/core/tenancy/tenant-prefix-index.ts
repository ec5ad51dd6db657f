import { type KeyRange, isOpenEnded } from '../etcd/key-range.js';
import type { Tenant } from './tenant.js';

/**
 * Finds the tenants whose prefix a key range reaches, without comparing
 * every range with every tenant: prefixes are sorted by their bytes, so the
 * ones starting inside [key, rangeEnd) are found by binary search, and the
 * only others that can reach in are those the range's first key starts with.
 * Anything with a tenant's prefix can be indexed (the audit indexes the
 * clusters it knows, each the prefix its tenant must own).
 */
export class TenantPrefixIndex<T extends Pick<Tenant, 'prefix'> = Tenant> {
  readonly #sorted: { key: Buffer; tenant: T }[];
  readonly #byPrefix = new Map<string, T[]>();

  constructor(tenants: readonly T[]) {
    this.#sorted = tenants
      .map((tenant) => ({ key: Buffer.from(tenant.prefix), tenant }))
      .sort((a, b) => Buffer.compare(a.key, b.key));
    for (const { key, tenant } of this.#sorted) {
      const id = key.toString('latin1');
      this.#byPrefix.set(id, [...(this.#byPrefix.get(id) ?? []), tenant]);
    }
  }

  /** Tenants with at least one key of their prefix inside `range`. */
  reachedBy(range: KeyRange): T[] {
    const found: T[] = [];
    // Prefixes that `range.key` starts with (its own length included for a single key).
    const singleKey = range.rangeEnd.length === 0;
    const last = singleKey ? range.key.length : range.key.length - 1;
    for (let length = 1; length <= last; length += 1) {
      found.push(...(this.#byPrefix.get(range.key.subarray(0, length).toString('latin1')) ?? []));
    }
    if (singleKey) return found;
    // Prefixes that start inside [key, rangeEnd).
    for (let index = this.#lowerBound(range.key); index < this.#sorted.length; index += 1) {
      const entry = this.#sorted[index]!;
      if (!isOpenEnded(range) && Buffer.compare(entry.key, range.rangeEnd) >= 0) break;
      found.push(entry.tenant);
    }
    return found;
  }

  #lowerBound(key: Buffer): number {
    let low = 0;
    let high = this.#sorted.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (Buffer.compare(this.#sorted[middle]!.key, key) < 0) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
