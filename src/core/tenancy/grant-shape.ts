import { type KeyRange, coversWholeKeyspace, isOpenEnded, prefixRangeEnd } from '../etcd/key-range.js';

/**
 * What a role's grant is, before asking whose keys it reaches: the whole
 * keyspace, every key from some point on, a prefix grant whose prefix lacks
 * its trailing slash (`/service/alpha` also covers `/service/alpha2/`), or
 * any other range or single key. The tenancy isolation check and the audit
 * rule dcs.role-range-too-wide both name a grant by it.
 */
export type GrantShape = 'whole-keyspace' | 'open-ended' | 'prefix-without-slash' | 'bounded';

export function grantShape(range: KeyRange): GrantShape {
  if (coversWholeKeyspace(range)) return 'whole-keyspace';
  if (isOpenEnded(range)) return 'open-ended';
  if (
    range.key.length > 0 &&
    range.key.at(-1) !== 0x2f &&
    range.rangeEnd.length > 0 &&
    range.rangeEnd.equals(prefixRangeEnd(range.key))
  )
    return 'prefix-without-slash';
  return 'bounded';
}
