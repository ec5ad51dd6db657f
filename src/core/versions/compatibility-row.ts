/**
 * The shape of one row of the Patroni × etcd compatibility matrix. The rows
 * themselves are in compatibility-rows.ts, their evaluation in
 * compatibility-matrix.ts (which re-exports these types).
 */

/** What an operator is about to do, or is doing, on a fleet. */
export type CompatibilityOperation =
  /** Switch etcd auth on while Patroni runs (and roll it back if it fails). */
  | 'enable-auth-live'
  /** Run each cluster with its own non-root etcd user, auth on. */
  | 'per-cluster-users'
  /** Change a tenant's etcd password while its cluster runs. */
  | 'rotate-password'
  /** The first switchover of a cluster once auth is on. */
  | 'switchover-after-enable'
  /** Upgrade the etcd members to the row's etcd version, Patroni keeping the credentials it has. */
  | 'upgrade-etcd'
  /** Move a live cluster from etcd's v2 API (Patroni's `etcd:` section) to v3 (`etcd3:`), its keys copied while paused. */
  | 'move-to-etcd3';

export const COMPATIBILITY_OPERATIONS: readonly CompatibilityOperation[] = [
  'enable-auth-live',
  'per-cluster-users',
  'rotate-password',
  'switchover-after-enable',
  'upgrade-etcd',
  'move-to-etcd3',
];

/** etcd's --auth-token; `any` in a row means the fact holds for both. */
export type RowTokenType = 'simple' | 'jwt' | 'any';

/**
 * safe: works on this pair (with pgfleet's procedure);
 * degraded: works, with a known and recoverable impairment (a request that
 * fails once, a view that must be detected and restarted, a step to take first);
 * unsafe: members lose the DCS, demote or cannot start.
 */
export type RowVerdict = 'safe' | 'degraded' | 'unsafe';

/** Whether the verdict was observed on this stack or read in upstream sources. */
export type Evidence = 'tested-here' | 'upstream-notes';

export interface Citation {
  kind: 'issue' | 'pr' | 'release-note' | 'local-test';
  /** `patroni#3573`, `etcd#21538`, a release note's version and title, or the local note's section. */
  ref: string;
  url?: string;
}

/** Half-open [from, to); without `to`, no upper bound. Versions compare numerically. */
export interface VersionRange {
  from: string;
  to?: string;
}

/**
 * A row applies only where these hold. A query that does not say (undefined)
 * matches either way, so the worse row wins when the state is not known.
 */
export interface RowCondition {
  authEnabled?: boolean;
  /** The member has per-cluster (non-root) etcd credentials in its configuration. */
  hasCredentials?: boolean;
}

export interface CompatibilityRow {
  /** Stable, for tests and for callers that ask about one fact. */
  id: string;
  /** Patroni versions the row covers: any of these ranges. */
  patroni: readonly VersionRange[];
  /** etcd versions the row covers (for upgrade-etcd: the target version). */
  etcd: readonly VersionRange[];
  tokenType: RowTokenType;
  operations: readonly CompatibilityOperation[];
  when?: RowCondition;
  verdict: RowVerdict;
  /** What an operator reads: what happens, and what to do instead. */
  reason: string;
  citations: readonly Citation[];
  evidence: Evidence;
}
