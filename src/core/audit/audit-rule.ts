import type { Finding } from './finding.js';
import type { FleetSnapshot } from './fleet-snapshot.js';
import type { Severity } from './severity.js';

export type RuleCategory = 'dcs' | 'restapi' | 'files' | 'operations' | 'audit';

/**
 * One audit rule: a pure function of the snapshot. `severity` is the most
 * severe level it reports (SARIF's default level); a finding may be milder
 * when the context makes it so (e.g. plain http on loopback only).
 */
export interface AuditRule {
  id: string;
  category: RuleCategory;
  title: string;
  severity: Severity;
  /** Why the rule exists (one sentence); findings may say it more precisely. */
  why: string;
  /** The usual fix. */
  fix: string;
  /** What the rule needs: static facts only, or facts `--live` collects (it stays quiet without them). */
  needs: 'static' | 'live' | 'static-or-live';
  check(snapshot: FleetSnapshot): Finding[];
}

/** A finding of `rule` with the rule's own why and fix unless given. */
export function findingOf(
  rule: Pick<AuditRule, 'id' | 'severity' | 'why' | 'fix'>,
  finding: Omit<Finding, 'ruleId' | 'severity' | 'why' | 'fix'> & Partial<Pick<Finding, 'severity' | 'why' | 'fix'>>,
): Finding {
  return {
    ruleId: rule.id,
    severity: finding.severity ?? rule.severity,
    object: finding.object,
    evidence: finding.evidence,
    why: finding.why ?? rule.why,
    fix: finding.fix ?? rule.fix,
    ...(finding.location ? { location: finding.location } : {}),
  };
}
