import { type Severity, severityRank } from './severity.js';

/** What a finding is about. `name` identifies it for a human and for a script (a path, a member id, a role name). */
export type FindingObjectKind =
  'etcd' | 'etcd-user' | 'etcd-role' | 'cluster' | 'member' | 'file' | 'process' | 'settings' | 'audit';

export interface FindingObject {
  kind: FindingObjectKind;
  name: string;
}

/** Where in a file the finding points (for SARIF and editors). */
export interface FindingLocation {
  file: string;
  /** Dotted key path inside a YAML document, e.g. `restapi.authentication`. */
  key?: string | undefined;
  /** 1-based line of that key, when known. */
  line?: number | undefined;
}

/**
 * One problem the audit found. Evidence says what was observed, never a
 * secret value ("password set in /etc/patroni/a.yaml at etcd3.password").
 */
export interface Finding {
  /** Stable rule id (`dcs.etcd-auth-off`): scripts and suppressions match on it. */
  ruleId: string;
  severity: Severity;
  object: FindingObject;
  evidence: string;
  /** Why it matters, one sentence. */
  why: string;
  /** How to fix it: a pgfleet command where one exists. */
  fix: string;
  location?: FindingLocation | undefined;
}

/** Most severe first, then by rule and object, so that two runs on the same fleet print the same order. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      a.ruleId.localeCompare(b.ruleId) ||
      a.object.name.localeCompare(b.object.name) ||
      a.evidence.localeCompare(b.evidence),
  );
}
