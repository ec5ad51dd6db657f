import {
  type Citation,
  type CompatibilityRow,
  type CompatibilityVerdict,
  type Evidence,
  type QueryTokenType,
  evaluateCompatibility,
  worseVerdict,
} from './compatibility-matrix.js';

/**
 * `pgfleet etcd upgrade check --to VERSION`: would upgrading the etcd members
 * to VERSION break a member of this fleet with the credentials it has now?
 * Pure: the caller gathers the members (GET /patroni of each, and whether its
 * configuration holds per-cluster etcd credentials) and etcd's auth state.
 */

export interface UpgradeCheckMember {
  /** `<namespace><scope>/<name>`, as elsewhere in pgfleet. */
  id: string;
  /** From the member's own GET /patroni; undefined when it did not answer. */
  patroniVersion: string | undefined;
  /** Its configuration holds per-cluster (non-root) etcd credentials. */
  hasCredentials: boolean;
}

export interface EtcdUpgradeCheckInput {
  members: readonly UpgradeCheckMember[];
  targetEtcdVersion: string;
  tokenType: QueryTokenType;
  authEnabled: boolean;
}

export interface MemberUpgradeVerdict {
  id: string;
  patroniVersion: string | undefined;
  verdict: CompatibilityVerdict;
  evidence: Evidence | 'none';
  reasons: string[];
  citations: Citation[];
  /** Ids of the matrix rows behind the verdict. */
  rowIds: string[];
}

export interface EtcdUpgradeCheck {
  targetEtcdVersion: string;
  /** The worst member verdict (`unknown` for an empty fleet). */
  verdict: CompatibilityVerdict;
  /** Some member would break (an unsafe verdict). Unknown members do not count: see `unknownMembers`. */
  wouldBreak: boolean;
  members: MemberUpgradeVerdict[];
  /** Members no row covers, or whose Patroni version is not known: not known to be safe. */
  unknownMembers: string[];
}

/** Judges each member against the matrix's upgrade-etcd rows for the target version. */
export function checkEtcdUpgrade(input: EtcdUpgradeCheckInput): EtcdUpgradeCheck {
  const members = input.members.map((member): MemberUpgradeVerdict => {
    if (member.patroniVersion === undefined) {
      return {
        id: member.id,
        patroniVersion: undefined,
        verdict: 'unknown',
        evidence: 'none',
        reasons: ['its Patroni version is not known (its REST API did not answer)'],
        citations: [],
        rowIds: [],
      };
    }
    const result = evaluateCompatibility({
      patroniVersion: member.patroniVersion,
      etcdVersion: input.targetEtcdVersion,
      tokenType: input.tokenType,
      operation: 'upgrade-etcd',
      authEnabled: input.authEnabled,
      hasCredentials: member.hasCredentials,
    });
    return {
      id: member.id,
      patroniVersion: member.patroniVersion,
      verdict: result.verdict,
      evidence: result.evidence,
      reasons: result.reasons,
      citations: result.citations,
      rowIds: result.rows.map((row: CompatibilityRow) => row.id),
    };
  });
  return {
    targetEtcdVersion: input.targetEtcdVersion,
    verdict: members.length === 0 ? 'unknown' : members.map((member) => member.verdict).reduce(worseVerdict),
    wouldBreak: members.some((member) => member.verdict === 'unsafe'),
    members,
    unknownMembers: members.filter((member) => member.verdict === 'unknown').map((member) => member.id),
  };
}
