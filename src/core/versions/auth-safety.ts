import { type CompatibilityResult, evaluateCompatibility, worseVerdict } from './compatibility-matrix.js';

/**
 * Is it safe to switch etcd auth on live, and to run with per-cluster users,
 * for a member running `patroniVersion` against `etcdVersion`? The one
 * question the enforce gates, `etcd auth plan` and the audit ask the
 * compatibility matrix, so they can never disagree. The token type is judged
 * by its own gate: this asks for simple tokens.
 */
export function authSafetyOf(patroniVersion: string, etcdVersion: string): CompatibilityResult {
  const query = { patroniVersion, etcdVersion, tokenType: 'simple' as const, hasCredentials: true, authEnabled: false };
  const perClusterUsers = evaluateCompatibility({ ...query, operation: 'per-cluster-users' });
  const enableLive = evaluateCompatibility({ ...query, operation: 'enable-auth-live' });
  const worst =
    worseVerdict(perClusterUsers.verdict, enableLive.verdict) === perClusterUsers.verdict
      ? perClusterUsers
      : enableLive;
  return worst;
}

/** Whether a verdict stops a guarded switch: unsafe, and unknown (a pair no verified fact covers is never taken as safe). */
export function blocksAuthSwitch(result: CompatibilityResult): boolean {
  return result.verdict === 'unsafe' || result.verdict === 'unknown';
}

/** One line an operator reads: the verdict, the first reason, the citations, and where the verdict comes from. */
export function describeAuthSafety(result: CompatibilityResult): string {
  const cited = result.citations.map((citation) => citation.ref).join(', ');
  const source =
    result.evidence === 'tested-here'
      ? 'tested on this stack'
      : result.evidence === 'upstream-notes'
        ? 'from upstream notes, not tested on this stack'
        : 'no verified fact covers this pair';
  return `${result.verdict}: ${result.reasons[0] ?? 'no reason recorded'}${cited ? ` (${cited})` : ''} [${source}]`;
}
