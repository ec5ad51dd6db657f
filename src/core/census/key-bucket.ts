/**
 * Groups keys into prefixes for the census: a key counts under its first
 * `depth` directories (`/app/jobs/42` → `/app/jobs/` at depth 2), or under the
 * longest hinted prefix it lies in when that one is deeper (a tenant's
 * `/x/y/zeta/` inside a namespace of two levels), so that a prefix is either
 * inside a tenant or outside every tenant, never across one.
 */
export class KeyBucketing {
  readonly depth: number;
  readonly #hints: Set<string>;

  constructor(options: { depth?: number | undefined; hints?: readonly string[] | undefined } = {}) {
    this.depth = Math.max(1, options.depth ?? 2);
    // A hint is a directory: only prefixes that end with "/" can be told apart at a "/" of the key.
    this.#hints = new Set((options.hints ?? []).filter((hint) => hint.endsWith('/')));
  }

  /** The prefix `key` is counted under; `''` for a key without any "/". */
  bucketOf(key: string): string {
    let byDepth = '';
    let byHint = '';
    let directories = 0;
    for (let index = key.indexOf('/'); index !== -1; index = key.indexOf('/', index + 1)) {
      const prefix = key.slice(0, index + 1);
      // The leading "/" of an absolute key is the root, not a directory.
      if (index > 0) directories += 1;
      if (directories <= this.depth) byDepth = prefix;
      if (this.#hints.has(prefix)) byHint = prefix;
    }
    return byHint.length > byDepth.length ? byHint : byDepth;
  }

  /** The prefix one level up, where a bucket is folded when there are too many: `/a/b/` → `/a/`. */
  parentOf(bucket: string): string {
    const trimmed = bucket.endsWith('/') ? bucket.slice(0, -1) : bucket;
    const index = trimmed.lastIndexOf('/');
    return index === -1 ? '' : trimmed.slice(0, index + 1);
  }
}
