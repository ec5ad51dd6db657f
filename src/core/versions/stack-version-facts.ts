import { compareVersions } from './version-compare.js';

/**
 * etcd versions on which Patroni 3.0.2 survives auth: up to 3.4.41. 3.4.42+,
 * 3.5.x with the 2026 lease/member-list fixes and 3.6.9+ auth-check calls
 * Patroni 3.0.2 makes without a token (facts note): unsupported.
 */
export function etcdVersionSupportsPatroni30Auth(version: string): boolean {
  return compareVersions(version, '3.4.0') >= 0 && compareVersions(version, '3.4.42') < 0;
}

/**
 * Patroni before 3.2 (3.0.2 on this stack): it does not re-authenticate
 * when JWT tokens go stale, and it makes lease and member-list calls without
 * a token. The token-type and etcd-version gates (and the audit) apply to it.
 */
export function isPatroniBefore32(version: string): boolean {
  return compareVersions(version, '3.2.0') < 0;
}
