import { evaluateCompatibility, rowCoversPatroni } from './compatibility-matrix.js';

/**
 * etcd versions on which Patroni 3.0 (3.0.2 on this stack) is known to survive
 * auth with per-cluster users and simple tokens: where the compatibility
 * matrix says safe, i.e. 3.4.0 to 3.4.41. 3.4.42+, 3.5.28+ and 3.6.9+
 * auth-check calls Patroni 3.0 makes without a token (unsafe); 3.5 and 3.6
 * before those are not verified (unknown), so not supported either.
 */
export function etcdVersionSupportsPatroni30Auth(version: string): boolean {
  return (
    evaluateCompatibility({
      patroniVersion: '3.0.2',
      etcdVersion: version,
      tokenType: 'simple',
      operation: 'per-cluster-users',
    }).verdict === 'safe'
  );
}

/**
 * Patroni before 3.2 (3.0.2 on this stack): it does not re-authenticate
 * when JWT tokens go stale (the matrix row jwt-stale-tokens-before-3.2). The
 * token-type and etcd-version gates (and the audit) apply to it.
 */
export function isPatroniBefore32(version: string): boolean {
  return rowCoversPatroni('jwt-stale-tokens-before-3.2', version);
}
