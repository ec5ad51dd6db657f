import { isPatroniBefore32 } from '../../versions/stack-version-facts.js';
import { type AuditRule, findingOf } from '../audit-rule.js';
import { patroniVersionsSeen } from '../fleet-view.js';

/**
 * etcd issues JWT tokens while some Patroni is older than 3.2: every users
 * or roles change makes the tokens stale ("revision of auth store is old"),
 * Patroni 3.0.2 does not re-authenticate, its writes fail and primaries
 * demote (facts note).
 */
export const jwtTokensWithOldPatroniRule: AuditRule = {
  id: 'dcs.jwt-tokens-with-old-patroni',
  category: 'dcs',
  title: 'etcd JWT tokens with Patroni older than 3.2',
  severity: 'high',
  why: 'With JWT tokens every users or roles change makes the tokens Patroni holds stale, and Patroni before 3.2 does not re-authenticate, so its writes fail and its primaries demote.',
  fix: 'run etcd with --auth-token simple, or upgrade Patroni to 3.2 or later on every member before changing users or roles',
  needs: 'live',
  check(snapshot) {
    const etcd = snapshot.live?.etcd;
    if (!etcd || etcd.tokenType !== 'jwt') return [];
    const old = patroniVersionsSeen(snapshot).filter((entry) => isPatroniBefore32(entry.version));
    if (old.length === 0) return [];
    const shown = old
      .slice(0, 5)
      .map((entry) => `${entry.where} (${entry.version})`)
      .join(', ');
    return [
      findingOf(this, {
        object: { kind: 'etcd', name: etcd.endpoints.join(',') },
        evidence: `etcd uses JWT tokens (${etcd.tokenTypeSource ?? 'detected'}) and ${old.length} Patroni older than 3.2 were seen: ${shown}${old.length > 5 ? ', ...' : ''}`,
      }),
    ];
  },
};
