import { KeyBucketing } from './key-bucket.js';
import { type PatroniKeyKind, type PatroniKeyShape, PATRONI_KEY_KINDS, parsePatroniKey } from './patroni-key.js';

/** One key as a keys-only range (or a v2 listing) gives it: no value is ever needed. */
export interface KeyEntry {
  key: string;
  modRevision: number;
  /** The lease the key is attached to (v3), as etcd prints it (decimal). */
  lease?: string | undefined;
}

/** A Patroni member key found in the keyspace. */
export interface MemberKey {
  name: string;
  citusGroup: number | undefined;
  lease: string | undefined;
  modRevision: number;
}

/** A Patroni cluster found in the keyspace, under whatever namespace. */
export interface PatroniClusterFootprint {
  /** `<namespace><scope>/` */
  base: string;
  namespace: string;
  scope: string;
  citusGroups: number[];
  keyCount: number;
  /** The Patroni keys present, in Patroni's order. */
  keyKinds: PatroniKeyKind[];
  members: MemberKey[];
  /** Member keys beyond the cap, counted but not listed. */
  membersNotListed: number;
  /** Leases of its leader key(s): one per Citus group. */
  leaderLeases: string[];
  maxModRevision: number;
  /** Keys modified after the census's `writtenSince` revision. */
  writtenKeys: number;
  /** Writes (puts and deletes) seen while the census watched. */
  writesObserved: number;
}

/** Keys under one prefix that are not Patroni's. */
export interface PrefixFootprint {
  prefix: string;
  keyCount: number;
  maxModRevision: number;
  /** Keys modified after the census's `writtenSince` revision. */
  writtenKeys: number;
  /** Writes (puts and deletes) seen while the census watched: a prefix whose keys were all deleted meanwhile shows with 0 keys. */
  writesObserved: number;
  leasedKeys: number;
  /** Up to a few of the leases its keys hold. */
  leases: string[];
  /** True when deeper prefixes were folded in here because there were too many to list. */
  folded: boolean;
}

export interface KeyspaceSummary {
  keyCount: number;
  /** The revision a key must be modified after to count as written now; undefined: not measured. */
  writtenSince: number | undefined;
  patroniClusters: PatroniClusterFootprint[];
  prefixes: PrefixFootprint[];
  /** Prefixes folded into their parent because the census lists at most `maxPrefixes`. */
  prefixesFolded: number;
}

export interface KeyspaceTallyOptions {
  bucketing?: KeyBucketing | undefined;
  writtenSince?: number | undefined;
  /** Caps that keep memory flat whatever the keyspace holds (parents of folded prefixes may take as many again). */
  maxPrefixes?: number | undefined;
  maxClusterCandidates?: number | undefined;
  maxMembersListed?: number | undefined;
}

const LEASES_LISTED = 8;
/** The bucket where keys go once even the parents are too many to list. */
export const OVERFLOW_PREFIX = '*';

interface Candidate {
  base: string;
  namespace: string;
  scope: string;
  groups: Set<number>;
  kinds: Set<PatroniKeyKind>;
  members: Map<string, MemberKey>;
  membersNotListed: number;
  leaderLeases: Set<string>;
  keyCount: number;
  maxModRevision: number;
  writtenKeys: number;
  writesObserved: number;
  sampleKey: string;
}

interface Bucket {
  keyCount: number;
  maxModRevision: number;
  writtenKeys: number;
  writesObserved: number;
  leasedKeys: number;
  leases: Set<string>;
  folded: boolean;
}

/**
 * Counts a keyspace one key at a time, in bounded memory: per prefix and per
 * Patroni cluster, never per key. Feed it the pages of a keys-only range as
 * they come (`add`) and the writes a watch sees meanwhile (`noteWrite`),
 * then read `summary()`.
 *
 * A set of Patroni-shaped keys is a cluster when it holds a member key, an
 * `initialize` or a `leader` key: a lone `config` or `status` key under some
 * application's prefix is not. Keys of a set that is not a cluster are
 * counted under their prefix like any other key.
 */
export class KeyspaceTally {
  readonly #bucketing: KeyBucketing;
  readonly #writtenSince: number | undefined;
  readonly #maxPrefixes: number;
  readonly #maxCandidates: number;
  readonly #maxMembers: number;
  readonly #candidates = new Map<string, Candidate>();
  readonly #buckets = new Map<string, Bucket>();
  #keyCount = 0;
  #prefixesFolded = 0;
  #summary: KeyspaceSummary | undefined;

  constructor(options: KeyspaceTallyOptions = {}) {
    this.#bucketing = options.bucketing ?? new KeyBucketing();
    this.#writtenSince = options.writtenSince;
    this.#maxPrefixes = options.maxPrefixes ?? 10_000;
    this.#maxCandidates = options.maxClusterCandidates ?? 10_000;
    this.#maxMembers = options.maxMembersListed ?? 1_000;
  }

  add(entry: KeyEntry): void {
    if (this.#summary) throw new Error('KeyspaceTally.add after summary()');
    this.#keyCount += 1;
    const written = this.#writtenSince !== undefined && entry.modRevision > this.#writtenSince;
    const shape = parsePatroniKey(entry.key);
    const candidate = shape ? this.#candidate(shape, entry.key) : undefined;
    if (shape && candidate) {
      candidate.keyCount += 1;
      candidate.maxModRevision = Math.max(candidate.maxModRevision, entry.modRevision);
      if (written) candidate.writtenKeys += 1;
      candidate.kinds.add(shape.kind);
      if (shape.citusGroup !== undefined) candidate.groups.add(shape.citusGroup);
      if (shape.kind === 'leader' && entry.lease) candidate.leaderLeases.add(entry.lease);
      if (shape.kind === 'members' && shape.member !== undefined) {
        const id = shape.citusGroup === undefined ? shape.member : `${shape.citusGroup}/${shape.member}`;
        if (candidate.members.size < this.#maxMembers || candidate.members.has(id)) {
          candidate.members.set(id, {
            name: shape.member,
            citusGroup: shape.citusGroup,
            lease: entry.lease,
            modRevision: entry.modRevision,
          });
        } else {
          candidate.membersNotListed += 1;
        }
      }
      return;
    }
    this.#count(this.#bucketing.bucketOf(entry.key), {
      keyCount: 1,
      maxModRevision: entry.modRevision,
      writtenKeys: written ? 1 : 0,
      writesObserved: 0,
      leasedKeys: entry.lease ? 1 : 0,
      leases: entry.lease ? [entry.lease] : [],
    });
  }

  /** A write (put or delete) seen while the census watched, counted where the key belongs; the key itself is counted by `add`. */
  noteWrite(key: string): void {
    if (this.#summary) throw new Error('KeyspaceTally.noteWrite after summary()');
    const shape = parsePatroniKey(key);
    const candidate = shape ? this.#candidate(shape, key) : undefined;
    if (candidate) {
      candidate.writesObserved += 1;
      return;
    }
    this.#count(this.#bucketing.bucketOf(key), {
      keyCount: 0,
      maxModRevision: 0,
      writtenKeys: 0,
      writesObserved: 1,
      leasedKeys: 0,
      leases: [],
    });
  }

  /** The Patroni cluster candidate of a key's base, created on first sight while there is room. */
  #candidate(shape: PatroniKeyShape, key: string): Candidate | undefined {
    let candidate = this.#candidates.get(shape.base);
    if (!candidate && this.#candidates.size < this.#maxCandidates) {
      candidate = {
        base: shape.base,
        namespace: shape.namespace,
        scope: shape.scope,
        groups: new Set(),
        kinds: new Set(),
        members: new Map(),
        membersNotListed: 0,
        leaderLeases: new Set(),
        keyCount: 0,
        maxModRevision: 0,
        writtenKeys: 0,
        writesObserved: 0,
        sampleKey: key,
      };
      this.#candidates.set(shape.base, candidate);
    }
    return candidate;
  }

  #count(
    prefix: string,
    counts: {
      keyCount: number;
      maxModRevision: number;
      writtenKeys: number;
      writesObserved: number;
      leasedKeys: number;
      leases: Iterable<string>;
    },
    folded = false,
  ): void {
    let target = prefix;
    let bucket = this.#buckets.get(target);
    // Too many prefixes to list: fold into the parent (parents may take as many
    // entries again), then further up, then into one overflow bucket.
    let room = this.#maxPrefixes;
    while (!bucket && this.#buckets.size >= room && target !== OVERFLOW_PREFIX) {
      if (target === prefix) this.#prefixesFolded += 1;
      const parent = this.#bucketing.parentOf(target);
      target = parent === target || parent === '' ? OVERFLOW_PREFIX : parent;
      bucket = this.#buckets.get(target);
      room = 2 * this.#maxPrefixes;
      folded = true;
    }
    if (!bucket) {
      bucket = {
        keyCount: 0,
        maxModRevision: 0,
        writtenKeys: 0,
        writesObserved: 0,
        leasedKeys: 0,
        leases: new Set(),
        folded: false,
      };
      this.#buckets.set(target, bucket);
    }
    bucket.keyCount += counts.keyCount;
    bucket.maxModRevision = Math.max(bucket.maxModRevision, counts.maxModRevision);
    bucket.writtenKeys += counts.writtenKeys;
    bucket.writesObserved += counts.writesObserved;
    bucket.leasedKeys += counts.leasedKeys;
    for (const lease of counts.leases) if (bucket.leases.size < LEASES_LISTED) bucket.leases.add(lease);
    bucket.folded ||= folded;
  }

  /** The counts; the tally is finished after the first call (which folds non-clusters into their prefixes). */
  summary(): KeyspaceSummary {
    this.#summary ??= this.#finish();
    return this.#summary;
  }

  #finish(): KeyspaceSummary {
    const clusters: PatroniClusterFootprint[] = [];
    for (const candidate of this.#candidates.values()) {
      const isCluster =
        candidate.members.size + candidate.membersNotListed > 0 ||
        candidate.kinds.has('initialize') ||
        candidate.kinds.has('leader');
      if (!isCluster) {
        this.#count(this.#bucketing.bucketOf(candidate.sampleKey), {
          keyCount: candidate.keyCount,
          maxModRevision: candidate.maxModRevision,
          writtenKeys: candidate.writtenKeys,
          writesObserved: candidate.writesObserved,
          leasedKeys: 0,
          leases: [],
        });
        continue;
      }
      clusters.push({
        base: candidate.base,
        namespace: candidate.namespace,
        scope: candidate.scope,
        citusGroups: [...candidate.groups].sort((a, b) => a - b),
        keyCount: candidate.keyCount,
        keyKinds: PATRONI_KEY_KINDS.filter((kind) => candidate.kinds.has(kind)),
        members: [...candidate.members.values()].sort(
          (a, b) => (a.citusGroup ?? -1) - (b.citusGroup ?? -1) || compareText(a.name, b.name),
        ),
        membersNotListed: candidate.membersNotListed,
        leaderLeases: [...candidate.leaderLeases].sort(),
        maxModRevision: candidate.maxModRevision,
        writtenKeys: candidate.writtenKeys,
        writesObserved: candidate.writesObserved,
      });
    }
    const prefixes = [...this.#buckets].map(([prefix, bucket]) => ({
      prefix,
      keyCount: bucket.keyCount,
      maxModRevision: bucket.maxModRevision,
      writtenKeys: bucket.writtenKeys,
      writesObserved: bucket.writesObserved,
      leasedKeys: bucket.leasedKeys,
      leases: [...bucket.leases].sort(),
      folded: bucket.folded,
    }));
    return {
      keyCount: this.#keyCount,
      writtenSince: this.#writtenSince,
      patroniClusters: clusters.sort((a, b) => compareText(a.base, b.base)),
      prefixes: prefixes.sort((a, b) => compareText(a.prefix, b.prefix)),
      prefixesFolded: this.#prefixesFolded,
    };
  }
}

/** The same order whatever the locale (localeCompare depends on it). */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
