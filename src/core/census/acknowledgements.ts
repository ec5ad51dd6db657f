import { z } from 'zod';
import type { LocatedProblem } from '../yaml/located-yaml.js';
import type { CensusSubject, CensusSubjectKind } from './census-subject.js';

/**
 * One line of the tenants file's `acknowledged:` list: the operator accepts,
 * by its id and with a reason, that one thing the census found goes on
 * without an etcd user of its own (and is refused once auth is on). Never a
 * switch for everything: each subject is named.
 *
 *   acknowledged:
 *     - subject: "unknown-writer:/app/"
 *       reason: "the app's cache; it may lose etcd, it falls back to its database"
 */
export const AcknowledgementSchema = z.strictObject({
  subject: z.string().min(1).describe('the id the plan gives the subject, e.g. unknown-writer:/app/'),
  reason: z.string().trim().min(1, 'a reason is required: say why this client may lose etcd').describe('why'),
});

export const ACKNOWLEDGEMENT_KEYS = Object.keys(AcknowledgementSchema.shape);

export interface Acknowledgement {
  subject: string;
  reason: string;
  /** `file:line:col` of the entry. */
  origin: string;
}

/** Subjects that can be acknowledged: what the census cannot tie to a cluster the fleet can secure. */
const ACKNOWLEDGEABLE: readonly CensusSubjectKind[] = [
  'unknown-writer',
  'unknown-lease',
  'unexplained-watchers',
  'unknown-process',
  'outside-cluster',
  'v2-readers',
];

const KNOWN_KINDS: readonly CensusSubjectKind[] = [...ACKNOWLEDGEABLE, 'v2-cluster', 'v2-open-keyspace'];

/** The problems of the `acknowledged:` list: a subject id of no known kind, a subject listed twice. */
export function acknowledgementProblems(
  entries: readonly Acknowledgement[],
  at: (index: number) => { location: string; line: string },
): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  const seen = new Map<string, number>();
  entries.forEach((entry, index) => {
    const kind = entry.subject.split(':')[0] as CensusSubjectKind;
    const field = `acknowledged[${index}].subject`;
    if (!KNOWN_KINDS.includes(kind))
      problems.push({
        code: 'TENANTS_FILE_INVALID',
        location: at(index).location,
        field,
        message: `${field}: "${entry.subject}" is not the id of a census subject`,
        hint: `copy the id \`pgfleet etcd auth plan\` prints (${ACKNOWLEDGEABLE.map((known) => `${known}:…`).join(', ')})`,
      });
    const first = seen.get(entry.subject);
    if (first !== undefined)
      problems.push({
        code: 'TENANTS_FILE_INVALID',
        location: at(index).location,
        field,
        message: `${field}: "${entry.subject}" is already acknowledged by acknowledged[${first}] (line ${at(first).line})`,
        hint: 'acknowledge each subject once',
      });
    else seen.set(entry.subject, index);
  });
  return problems;
}

/**
 * Why a subject cannot be acknowledged, if it cannot. A Patroni cluster
 * with live members outside the configured namespaces would be cut off when
 * auth goes on (the outage this exists for): it must be secured, not
 * accepted. A leftover one (no member on a lease, nothing written) may be.
 */
export function notAcknowledgeable(subject: CensusSubject): string | undefined {
  if (!ACKNOWLEDGEABLE.includes(subject.kind))
    return subject.kind === 'v2-cluster' || subject.kind === 'v2-open-keyspace'
      ? 'it does not block enforce: v3 auth leaves it open either way'
      : 'this kind of subject cannot be acknowledged';
  if (subject.kind === 'outside-cluster') {
    const leases = (subject.details['leases'] as string[] | undefined) ?? [];
    const written =
      Number(subject.details['writtenKeys'] ?? 0) > 0 || Number(subject.details['writesObserved'] ?? 0) > 0;
    if (leases.length > 0 || written)
      return 'its members are alive: auth would cut them off; add its namespace to tenancy.namespaces so that it is secured too';
  }
  return undefined;
}

export interface SettledSubjects {
  /** Subjects nothing acknowledges (or that cannot be). */
  open: CensusSubject[];
  acknowledged: Array<{ subject: CensusSubject; reason: string; origin: string }>;
  /** Acknowledgements of subjects that cannot be, with why. */
  refused: Array<{ subject: CensusSubject; acknowledgement: Acknowledgement; why: string }>;
  /** Acknowledgements the census found nothing for (the client is gone, or the id is mistyped). */
  unmatched: Acknowledgement[];
}

/** Sets the census's subjects against the acknowledgements, by id. */
export function settleSubjects(
  subjects: readonly CensusSubject[],
  acknowledgements: readonly Acknowledgement[],
): SettledSubjects {
  const byId = new Map(acknowledgements.map((entry) => [entry.subject, entry]));
  const settled: SettledSubjects = { open: [], acknowledged: [], refused: [], unmatched: [] };
  const used = new Set<string>();
  for (const subject of subjects) {
    const acknowledgement = byId.get(subject.id);
    if (!acknowledgement) {
      settled.open.push(subject);
      continue;
    }
    used.add(subject.id);
    const why = notAcknowledgeable(subject);
    if (why) {
      settled.refused.push({ subject, acknowledgement, why });
      settled.open.push(subject);
    } else settled.acknowledged.push({ subject, reason: acknowledgement.reason, origin: acknowledgement.origin });
  }
  settled.unmatched = acknowledgements.filter((entry) => !used.has(entry.subject));
  return settled;
}
