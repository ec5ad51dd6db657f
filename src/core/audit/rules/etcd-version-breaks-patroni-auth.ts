import { authSafetyOf, blocksAuthSwitch, describeAuthSafety } from '../../versions/auth-safety.js';
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
  title: "etcd version on which the fleet's Patroni does not survive auth",
  severity: 'high',
  why: 'The compatibility matrix says this Patroni and etcd pair is unsafe with auth and per-cluster users (etcd 3.4.42+, 3.5.28+ and 3.6.9+ auth-check calls older Patroni makes without a token) or knows no verified fact for it, so those members may lose the DCS once auth is on.',
  fix: 'run a pair the matrix knows as safe (`pgfleet etcd upgrade check --to VERSION`), or upgrade Patroni first',
  needs: 'live',
  check(snapshot) {
    const etcd = snapshot.live?.etcd;
    if (!etcd) return [];
    const patroniVersions = [...new Set(patroniVersionsSeen(snapshot).map((entry) => entry.version))];
    return etcd.versions.flatMap((entry) => {
      const blocked = patroniVersions
        .map((patroni) => ({ patroni, safety: authSafetyOf(patroni, entry.version) }))
        .filter((pair) => blocksAuthSwitch(pair.safety));
      if (blocked.length === 0) return [];
      return [
        findingOf(this, {
          severity: etcd.authEnabled ? 'high' : 'warning',
          object: { kind: 'etcd', name: entry.endpoint },
          evidence: `etcd ${entry.version} at ${entry.endpoint}${etcd.authEnabled ? ', auth on' : '; enabling auth would break these members'}: ${blocked.map((pair) => `Patroni ${pair.patroni}: ${describeAuthSafety(pair.safety)}`).join('; ')}`,
        }),
      ];
    });
  },
};
