import type {
  Citation,
  CompatibilityOperation,
  CompatibilityRow,
  Evidence,
  RowCondition,
  RowVerdict,
  VersionRange,
} from './compatibility-row.js';
import { COMPATIBILITY_ROWS, type CompatibilityRowId } from './compatibility-rows.js';
import { compareVersions } from './version-compare.js';

export type {
  Citation,
  CompatibilityOperation,
  CompatibilityRow,
  Evidence,
  RowCondition,
  RowTokenType,
  RowVerdict,
  VersionRange,
} from './compatibility-row.js';
export { COMPATIBILITY_OPERATIONS } from './compatibility-row.js';
export { COMPATIBILITY_ROWS, type CompatibilityRowId } from './compatibility-rows.js';

/** A row verdict, or `unknown` when no row covers the combination: never read as safe. */
export type CompatibilityVerdict = RowVerdict | 'unknown';

/** What the caller knows of etcd's --auth-token; `unknown` is judged as both. */
export type QueryTokenType = 'simple' | 'jwt' | 'unknown';

export interface CompatibilityQuery {
  patroniVersion: string;
  etcdVersion: string;
  tokenType: QueryTokenType;
  operation: CompatibilityOperation;
  /** Leave undefined when not known: rows conditioned on it then match either way. */
  authEnabled?: boolean | undefined;
  hasCredentials?: boolean | undefined;
}

export interface CompatibilityResult {
  verdict: CompatibilityVerdict;
  /** tested-here when a row giving the verdict was observed on this stack; none for unknown. */
  evidence: Evidence | 'none';
  /** The matching rows' reasons, worst first (or why the result is unknown). */
  reasons: string[];
  /** Every matching row's citations, without duplicates. */
  citations: Citation[];
  /** The matching rows, worst first. */
  rows: CompatibilityRow[];
}

const RANK: Record<CompatibilityVerdict, number> = { safe: 0, degraded: 1, unknown: 2, unsafe: 3 };

/** The worse of two verdicts: unsafe > unknown > degraded > safe. */
export function worseVerdict(a: CompatibilityVerdict, b: CompatibilityVerdict): CompatibilityVerdict {
  return RANK[b] > RANK[a] ? b : a;
}

const VERSION = /^\d+(\.\d+)*$/;

function inRange(version: string, range: VersionRange): boolean {
  return (
    compareVersions(version, range.from) >= 0 && (range.to === undefined || compareVersions(version, range.to) < 0)
  );
}

function inAnyRange(version: string, ranges: readonly VersionRange[]): boolean {
  return ranges.some((range) => inRange(version, range));
}

function conditionHolds(when: RowCondition | undefined, query: CompatibilityQuery): boolean {
  if (!when) return true;
  if (when.authEnabled !== undefined && query.authEnabled !== undefined && when.authEnabled !== query.authEnabled)
    return false;
  if (
    when.hasCredentials !== undefined &&
    query.hasCredentials !== undefined &&
    when.hasCredentials !== query.hasCredentials
  )
    return false;
  return true;
}

function rowMatches(row: CompatibilityRow, query: CompatibilityQuery, tokenType: 'simple' | 'jwt'): boolean {
  return (
    row.operations.includes(query.operation) &&
    (row.tokenType === 'any' || row.tokenType === tokenType) &&
    inAnyRange(query.patroniVersion, row.patroni) &&
    inAnyRange(query.etcdVersion, row.etcd) &&
    conditionHolds(row.when, query)
  );
}

function uniqueCitations(rows: readonly CompatibilityRow[]): Citation[] {
  const seen = new Map<string, Citation>();
  for (const citation of rows.flatMap((row) => row.citations)) {
    const key = `${citation.kind} ${citation.ref}`;
    if (!seen.has(key)) seen.set(key, citation);
  }
  return [...seen.values()];
}

function describe(query: CompatibilityQuery, tokenType: string): string {
  return `Patroni ${query.patroniVersion} with etcd ${query.etcdVersion} (${tokenType} tokens), ${query.operation}`;
}

function unknownResult(reason: string): CompatibilityResult {
  return { verdict: 'unknown', evidence: 'none', reasons: [reason], citations: [], rows: [] };
}

function evaluateForToken(
  query: CompatibilityQuery,
  tokenType: 'simple' | 'jwt',
  rows: readonly CompatibilityRow[],
): CompatibilityResult {
  const matching = rows
    .filter((row) => rowMatches(row, query, tokenType))
    .sort((a, b) => RANK[b.verdict] - RANK[a.verdict]);
  if (matching.length === 0) {
    return unknownResult(
      `no row of the compatibility matrix covers ${describe(query, tokenType)}: not verified, so not known to be safe`,
    );
  }
  const verdict = matching[0]!.verdict;
  const deciding = matching.filter((row) => row.verdict === verdict);
  return {
    verdict,
    evidence: deciding.some((row) => row.evidence === 'tested-here') ? 'tested-here' : 'upstream-notes',
    reasons: matching.map((row) => row.reason),
    citations: uniqueCitations(matching),
    rows: matching,
  };
}

function combine(results: readonly CompatibilityResult[]): CompatibilityResult {
  const verdict = results.map((result) => result.verdict).reduce(worseVerdict);
  const deciding = results.filter((result) => result.verdict === verdict);
  const rows = [...new Set(results.flatMap((result) => result.rows))].sort((a, b) => RANK[b.verdict] - RANK[a.verdict]);
  return {
    verdict,
    evidence: deciding.some((result) => result.evidence === 'tested-here') ? 'tested-here' : deciding[0]!.evidence,
    reasons: [...new Set(results.flatMap((result) => result.reasons))],
    citations: uniqueCitations(rows),
    rows,
  };
}

/**
 * The verdict of the matrix for one Patroni version, etcd version, token type
 * and operation: the worst verdict of every matching row, with all their
 * reasons and citations; `unknown` when no row matches or a version is not a
 * plain dotted number. An unknown token type is judged as simple and as JWT,
 * and the worse of the two is returned.
 */
export function evaluateCompatibility(
  query: CompatibilityQuery,
  rows: readonly CompatibilityRow[] = COMPATIBILITY_ROWS,
): CompatibilityResult {
  if (!VERSION.test(query.patroniVersion))
    return unknownResult(`Patroni version "${query.patroniVersion}" is not known or not a dotted version number`);
  if (!VERSION.test(query.etcdVersion))
    return unknownResult(`etcd version "${query.etcdVersion}" is not known or not a dotted version number`);
  if (query.tokenType !== 'unknown') return evaluateForToken(query, query.tokenType, rows);
  const both = combine([evaluateForToken(query, 'simple', rows), evaluateForToken(query, 'jwt', rows)]);
  return {
    ...both,
    reasons: ['the etcd token type is not known: judged for both simple and JWT tokens', ...both.reasons],
  };
}

/** Whether the row with this id covers a Patroni version, whatever the other columns (for facts about Patroni alone). */
export function rowCoversPatroni(
  id: CompatibilityRowId,
  patroniVersion: string,
  rows: readonly CompatibilityRow[] = COMPATIBILITY_ROWS,
): boolean {
  const row = rows.find((candidate) => candidate.id === id);
  if (!row) throw new Error(`no compatibility row ${id}`);
  return VERSION.test(patroniVersion) && inAnyRange(patroniVersion, row.patroni);
}
