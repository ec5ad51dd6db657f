/**
 * Roles sampled across a fleet while something is done to it: each sample is
 * what one member said of itself (GET /patroni), asked from one view (the
 * coordinator's, or a host's own). Split brain is two members of one cluster
 * each saying "primary" at (nearly) the same moment.
 */
export interface RoleSample {
  /** Epoch milliseconds. */
  at: number;
  /** Who asked: `coordinator`, or the host whose own members these are. */
  view: string;
  scope: string;
  node: string;
  role: string;
}

export interface TwoPrimaries {
  scope: string;
  at: number;
  primaries: Array<{ node: string; view: string; at: number }>;
}

const PRIMARY_ROLES = new Set(['master', 'primary', 'standby_leader']);

/**
 * Every moment a cluster had two primaries: two different members reporting
 * "primary" within `toleranceMs` of each other (one sampling round of any
 * view, or samples of different views close in time). One entry per
 * offending pair of samples, the earliest first.
 */
export function twoPrimaryMoments(samples: readonly RoleSample[], toleranceMs = 1_000): TwoPrimaries[] {
  const found: TwoPrimaries[] = [];
  const primaries = samples.filter((sample) => PRIMARY_ROLES.has(sample.role)).sort((a, b) => a.at - b.at);
  for (let i = 0; i < primaries.length; i += 1) {
    const first = primaries[i]!;
    for (let j = i + 1; j < primaries.length && primaries[j]!.at - first.at <= toleranceMs; j += 1) {
      const second = primaries[j]!;
      if (second.scope !== first.scope || second.node === first.node) continue;
      found.push({
        scope: first.scope,
        at: first.at,
        primaries: [first, second].map((sample) => ({ node: sample.node, view: sample.view, at: sample.at })),
      });
    }
  }
  return found;
}

export interface RoleChanges {
  /** A member seen primary, then seen with another role. */
  demotions: Array<{ node: string; view: string; at: number }>;
  /** A cluster seen with one primary, then another. */
  leaderChanges: Array<{ scope: string; from: string; to: string; at: number }>;
}

/** Demotions and leader changes over the samples of one or more views, in time order. */
export function roleChanges(samples: readonly RoleSample[]): RoleChanges {
  const changes: RoleChanges = { demotions: [], leaderChanges: [] };
  const lastRole = new Map<string, string>();
  const lastLeader = new Map<string, string>();
  for (const sample of [...samples].sort((a, b) => a.at - b.at)) {
    const before = lastRole.get(sample.node);
    if (before !== undefined && PRIMARY_ROLES.has(before) && !PRIMARY_ROLES.has(sample.role))
      changes.demotions.push({ node: sample.node, view: sample.view, at: sample.at });
    lastRole.set(sample.node, sample.role);
    if (PRIMARY_ROLES.has(sample.role)) {
      const leader = lastLeader.get(sample.scope);
      if (leader !== undefined && leader !== sample.node)
        changes.leaderChanges.push({ scope: sample.scope, from: leader, to: sample.node, at: sample.at });
      lastLeader.set(sample.scope, sample.node);
    }
  }
  return changes;
}
