/**
 * Something the census found that the fleet does not account for, named so
 * that an operator can acknowledge it by its id (`kind:detail`, stable from
 * one census to the next while the thing itself stays the same: a prefix, a
 * cluster's base, a program and its key on a host; never a pid or a lease id,
 * which change when a client restarts).
 */
export type CensusSubjectKind =
  | 'outside-cluster'
  | 'unknown-writer'
  | 'unknown-lease'
  | 'unexplained-watchers'
  | 'unknown-process'
  | 'v2-cluster'
  | 'v2-readers'
  | 'v2-open-keyspace';

export interface CensusSubject {
  id: string;
  kind: CensusSubjectKind;
  /** One line saying what was found. */
  summary: string;
  /** What to do about it. */
  fix: string;
  /** Secret-free facts behind it, for --output json. */
  details: Record<string, unknown>;
}

export function subjectId(kind: CensusSubjectKind, detail?: string): string {
  return detail === undefined ? kind : `${kind}:${detail}`;
}
