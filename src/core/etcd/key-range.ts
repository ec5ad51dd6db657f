/**
 * etcd key ranges as etcd stores them: [key, rangeEnd). A prefix grant is the
 * range [prefix, prefix with its last byte incremented). Keys are bytes; we
 * work on Buffers so that non-ASCII keys stay exact.
 */
export interface KeyRange {
  key: Buffer;
  /** Empty: the single key. "\0": every key >= key. Otherwise exclusive end. */
  rangeEnd: Buffer;
}

const ZERO = Buffer.from([0]);

/** The range end covering every key that starts with `prefix`. */
export function prefixRangeEnd(prefix: Buffer | string): Buffer {
  const bytes = Buffer.from(prefix);
  for (let index = bytes.length - 1; index >= 0; index -= 1) {
    if (bytes[index]! < 0xff) {
      const end = Buffer.from(bytes.subarray(0, index + 1));
      end[index] = bytes[index]! + 1;
      return end;
    }
  }
  // All 0xff (or empty): the range reaches the end of the keyspace.
  return Buffer.from(ZERO);
}

export function prefixRange(prefix: string): KeyRange {
  return { key: Buffer.from(prefix), rangeEnd: prefixRangeEnd(prefix) };
}

/** True when the range covers every key from `key` on (rangeEnd "\0"). */
export function isOpenEnded(range: KeyRange): boolean {
  return range.rangeEnd.equals(ZERO);
}

/** True when the range covers the whole keyspace. */
export function coversWholeKeyspace(range: KeyRange): boolean {
  return isOpenEnded(range) && (range.key.length === 0 || range.key.equals(ZERO));
}

/** Does `range` contain the single key? */
export function rangeContainsKey(range: KeyRange, key: Buffer | string): boolean {
  const k = Buffer.from(key);
  if (range.rangeEnd.length === 0) return k.equals(range.key);
  if (Buffer.compare(k, range.key) < 0) return false;
  return isOpenEnded(range) || Buffer.compare(k, range.rangeEnd) < 0;
}

/** Do two ranges share at least one key? */
export function rangesOverlap(a: KeyRange, b: KeyRange): boolean {
  const aEnd = effectiveEnd(a);
  const bEnd = effectiveEnd(b);
  const aBeforeB = aEnd !== undefined && Buffer.compare(aEnd, b.key) <= 0;
  const bBeforeA = bEnd !== undefined && Buffer.compare(bEnd, a.key) <= 0;
  return !aBeforeB && !bBeforeA;
}

/** Is `inner` entirely inside `outer`? */
export function rangeContains(outer: KeyRange, inner: KeyRange): boolean {
  if (Buffer.compare(inner.key, outer.key) < 0) return false;
  const outerEnd = effectiveEnd(outer);
  const innerEnd = effectiveEnd(inner);
  if (outerEnd === undefined) return true;
  if (innerEnd === undefined) return false;
  return Buffer.compare(innerEnd, outerEnd) <= 0;
}

/** Exclusive end as bytes; undefined for an open-ended range. */
function effectiveEnd(range: KeyRange): Buffer | undefined {
  if (range.rangeEnd.length === 0) return Buffer.concat([range.key, ZERO]);
  if (isOpenEnded(range)) return undefined;
  return range.rangeEnd;
}

/** Human form, as `tenants show` prints it: `[/service/alpha/, /service/alpha0)`. */
export function formatRange(range: KeyRange): string {
  const key = printable(range.key);
  if (range.rangeEnd.length === 0) return key;
  if (isOpenEnded(range)) return `[${key}, <end of keyspace>)`;
  return `[${key}, ${printable(range.rangeEnd)})`;
}

function printable(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\ufffd]/.test(text) ? `0x${bytes.toString('hex')}` : text;
}
