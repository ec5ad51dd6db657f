import { etcdVersionSupportsPatroni30Auth, isPatroniBefore32 } from '../../versions/stack-version-facts.js';
import { type AuditRule, findingOf } from '../audit-rule.js';
import { patroniVersionsSeen } from '../fleet-view.js';

/**
 * etcd runs a version that auth-checks the lease and member-list calls
 * Patroni before 3.2 makes without a token (3.4.42+, 3.5.x, 3.6.9+): with
 * auth on, those Patroni fail; with auth off, enabling it will break them.
 * The version range is the one `etcd auth enforce` gates on.
 */
export const etcdVersionBreaksPatroniAuthRule: AuditRule = {
  id: 'dcs.etcd-version-breaks-patroni-auth',
  category: 'dcs',
  title: 'etcd version on which Patroni < 3.2 does not survive auth',
  severity: 'high',
  why: 'This etcd version auth-checks lease and member-list calls that Patroni before 3.2 makes without a token, so those members lose the DCS once auth is on.',
  fix: 'keep etcd within 3.4.0–3.4.41 while Patroni is older than 3.2, or upgrade Patroni first',
  needs: 'live',
  check(snapshot) {
    const etcd = snapshot.live?.etcd;
    if (!etcd) return [];
    const old = patroniVersionsSeen(snapshot).filter((entry) => isPatroniBefore32(entry.version));
    if (old.length === 0) return [];
    const oldVersions = [...new Set(old.map((entry) => entry.version))].join(', ');
    return etcd.versions
      .filter((entry) => !etcdVersionSupportsPatroni30Auth(entry.version))
      .map((entry) =>
        findingOf(this, {
          severity: etcd.authEnabled ? 'high' : 'warning',
          object: { kind: 'etcd', name: entry.endpoint },
          evidence: `etcd ${entry.version} at ${entry.endpoint}, with Patroni ${oldVersions} in the fleet${etcd.authEnabled ? ' and auth on' : '; enabling auth would break them'}`,
        }),
      );
  },
};
