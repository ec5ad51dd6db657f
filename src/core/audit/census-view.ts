import type { CensusSubject, CensusSubjectKind } from '../census/census-subject.js';
import type { FleetSnapshot } from './fleet-snapshot.js';

/** A census subject as the audit rules see it: with the operator's acknowledgement, when the tenants file has one. */
export interface AuditedSubject {
  subject: CensusSubject;
  acknowledged: { reason: string; origin: string } | undefined;
}

/** The census's subjects of these kinds (none without --live or when the census could not be taken). */
export function censusSubjects(snapshot: FleetSnapshot, kinds: readonly CensusSubjectKind[]): AuditedSubject[] {
  const census = snapshot.live?.census;
  if (!census) return [];
  const acknowledged = new Map(census.acknowledged.map((entry) => [entry.subject, entry]));
  return census.subjects
    .filter((subject) => kinds.includes(subject.kind))
    .map((subject) => {
      const entry = acknowledged.get(subject.id);
      return { subject, acknowledged: entry ? { reason: entry.reason, origin: entry.origin } : undefined };
    });
}

/** The evidence of a subject: what the census saw, and the acknowledgement when there is one. */
export function subjectEvidence(entry: AuditedSubject): string {
  return `${entry.subject.summary} [${entry.subject.id}]${entry.acknowledged ? `; acknowledged in the tenants file (${entry.acknowledged.origin}): "${entry.acknowledged.reason}"` : ''}`;
}
