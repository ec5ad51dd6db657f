import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  COMPATIBILITY_ROWS,
  type CompatibilityQuery,
  type CompatibilityRowId,
  type CompatibilityVerdict,
  evaluateCompatibility,
  worseVerdict,
} from '../../../src/core/versions/compatibility-matrix.js';
import { checkEtcdUpgrade, type UpgradeCheckMember } from '../../../src/core/versions/etcd-upgrade-check.js';
import { clientApiSupport } from '../../../src/core/versions/dcs-client-facts.js';
import { etcdVersionSupportsPatroni30Auth, isPatroniBefore32 } from '../../../src/core/versions/stack-version-facts.js';
import { compareVersions } from '../../../src/core/versions/version-compare.js';

interface RowCase {
  name: string;
  row: CompatibilityRowId;
  query: CompatibilityQuery;
  verdict: CompatibilityVerdict;
  /** A citation ref the answer must carry. */
  cites: string;
}

const q = (
  patroniVersion: string,
  etcdVersion: string,
  tokenType: CompatibilityQuery['tokenType'],
  operation: CompatibilityQuery['operation'],
  extra: Partial<CompatibilityQuery> = {},
): CompatibilityQuery => ({
  patroniVersion,
  etcdVersion,
  tokenType,
  operation,
  ...extra,
});

/** One case per row, named after the fact; the query is chosen so that this row decides the verdict. */
const ROW_CASES: RowCase[] = [
  {
    name: 'Patroni 3.0.2 with per-cluster users and simple tokens on etcd 3.4.23 is safe (tested on this stack)',
    row: 'this-stack-simple-tokens',
    query: q('3.0.2', '3.4.23', 'simple', 'per-cluster-users'),
    verdict: 'safe',
    cites: 'Patroni 3.0.2 and etcd credentials',
  },
  {
    name: 'Patroni 3.0.2 rotating a password with simple tokens on etcd 3.4.23 is safe, new password reloaded first (tested on this stack)',
    row: 'this-stack-simple-tokens',
    query: q('3.0.2', '3.4.23', 'simple', 'rotate-password'),
    verdict: 'safe',
    cites: 'Patroni 3.0.2 and etcd credentials',
  },
  {
    name: 'Patroni 3.0.2 with JWT tokens on etcd 3.4.23 is unsafe for per-cluster users (tested on this stack)',
    row: 'this-stack-jwt-tokens',
    query: q('3.0.2', '3.4.23', 'jwt', 'per-cluster-users'),
    verdict: 'unsafe',
    cites: 'etcd v3 auth (token type)',
  },
  {
    name: 'Patroni 3.0.2 enabling auth live on etcd 3.4.23 is degraded: a rollback can freeze its view (tested on this stack)',
    row: 'this-stack-frozen-view-on-rollback',
    query: q('3.0.2', '3.4.23', 'simple', 'enable-auth-live'),
    verdict: 'degraded',
    cites: 'Added 2026-12-07 (frozen view)',
  },
  {
    name: 'a member without credentials while auth is on breaks when etcd is upgraded (tested on this stack)',
    row: 'no-credentials-with-auth-on',
    query: q('3.0.2', '3.4.41', 'simple', 'upgrade-etcd', { authEnabled: true, hasCredentials: false }),
    verdict: 'unsafe',
    cites: 'a node with NO credentials',
  },
  {
    name: 'Patroni 3.1.2 with JWT tokens is unsafe for password rotation: no re-authentication on AuthOldRevision before 3.2.0 (patroni#2913)',
    row: 'jwt-stale-tokens-before-3.2',
    query: q('3.1.2', '3.5.10', 'jwt', 'rotate-password'),
    verdict: 'unsafe',
    cites: 'patroni#2913',
  },
  {
    name: 'Patroni 3.0.2 with per-cluster users on etcd 3.4.42 is unsafe (patroni#3573)',
    row: 'auth-checked-calls-without-token',
    query: q('3.0.2', '3.4.42', 'simple', 'per-cluster-users'),
    verdict: 'unsafe',
    cites: 'patroni#3573',
  },
  {
    name: 'Patroni 4.1.0 with per-cluster users on etcd 3.6.10 is unsafe: the member-list relaxation still needs a token (patroni#3573)',
    row: 'auth-checked-calls-without-token',
    query: q('4.1.0', '3.6.10', 'simple', 'per-cluster-users'),
    verdict: 'unsafe',
    cites: 'patroni#3580',
  },
  {
    name: 'upgrading etcd to 3.5.28 under Patroni 4.0.7 with auth on is unsafe (patroni#3573)',
    row: 'upgrade-to-auth-checked-etcd',
    query: q('4.0.7', '3.5.28', 'simple', 'upgrade-etcd', { authEnabled: true, hasCredentials: true }),
    verdict: 'unsafe',
    cites: 'patroni#3573',
  },
  {
    name: 'upgrading etcd to 3.4.42 under Patroni 3.0.2 with auth off is degraded: enabling auth afterwards would break it (patroni#3573)',
    row: 'upgrade-to-auth-checked-etcd-auth-off',
    query: q('3.0.2', '3.4.42', 'simple', 'upgrade-etcd', { authEnabled: false, hasCredentials: true }),
    verdict: 'degraded',
    cites: 'patroni#3573',
  },
  {
    name: 'Patroni 4.1.0 enabling auth live on etcd 3.5.29 is unsafe: lease keepalive "user name is empty" is not re-authenticated (patroni#3581)',
    row: 'lease-keepalive-user-empty-when-enabled-live',
    query: q('4.1.0', '3.5.29', 'simple', 'enable-auth-live'),
    verdict: 'unsafe',
    cites: 'patroni#3581',
  },
  {
    name: 'Patroni 4.1.1 with per-cluster users on etcd 3.6.9 is unsafe: only root may list members on that release (etcd#21516)',
    row: 'member-list-root-only',
    query: q('4.1.1', '3.6.9', 'simple', 'per-cluster-users'),
    verdict: 'unsafe',
    cites: 'etcd#21516',
  },
  {
    name: 'upgrading etcd to 3.4.42 under Patroni 3.3.9 with per-cluster users and auth on is unsafe (etcd#21516)',
    row: 'upgrade-to-member-list-root-only',
    query: q('3.3.9', '3.4.42', 'simple', 'upgrade-etcd', { authEnabled: true, hasCredentials: true }),
    verdict: 'unsafe',
    cites: 'etcd#21538',
  },
  {
    name: 'upgrading etcd to 3.5.28 under Patroni 4.0.8 with auth off is degraded: member list would need root once auth is on (etcd#21516)',
    row: 'upgrade-to-member-list-root-only-auth-off',
    query: q('4.0.8', '3.5.28', 'simple', 'upgrade-etcd', { authEnabled: false, hasCredentials: true }),
    verdict: 'degraded',
    cites: 'etcd#21550',
  },
  {
    name: 'Patroni 4.1.0 enabling auth live on etcd 3.6.7 is unsafe: it loops on login while auth is off (patroni#3525)',
    row: 'auth-not-enabled-unrecognised-on-etcd-3.6',
    query: q('4.1.0', '3.6.7', 'simple', 'enable-auth-live'),
    verdict: 'unsafe',
    cites: 'patroni#3525',
  },
  {
    name: 'upgrading etcd to 3.6.8 under Patroni 4.0.7 with credentials and auth off is unsafe (patroni#3525)',
    row: 'upgrade-to-etcd-3.6-with-credentials-auth-off',
    query: q('4.0.7', '3.6.8', 'simple', 'upgrade-etcd', { authEnabled: false, hasCredentials: true }),
    verdict: 'unsafe',
    cites: 'patroni#3486',
  },
  {
    name: 'Patroni 3.3.7 enabling auth live on etcd 3.5.20 is degraded: it keeps a watch etcd cancelled (patroni#3426)',
    row: 'cancelled-watch-kept',
    query: q('3.3.7', '3.5.20', 'simple', 'enable-auth-live'),
    verdict: 'degraded',
    cites: 'patroni#3426',
  },
  {
    name: 'Patroni 3.1.2 switching over right after auth is enabled on etcd 3.4.30 is safe: it retries once on an auth error (before patroni#2913)',
    row: 'switchover-retried-before-3.2',
    query: q('3.1.2', '3.4.30', 'simple', 'switchover-after-enable'),
    verdict: 'safe',
    cites: 'patroni#2913',
  },
  {
    name: 'Patroni 3.2.2 switching over right after auth is enabled is degraded: "Invalid auth token" (patroni#3023)',
    row: 'first-switchover-invalid-token',
    query: q('3.2.2', '3.5.10', 'simple', 'switchover-after-enable'),
    verdict: 'degraded',
    cites: 'patroni#3023',
  },
  {
    name: 'Patroni 3.3.0 switching over right after auth is enabled is safe (patroni#3026)',
    row: 'switchover-retried-from-3.3',
    query: q('3.3.0', '3.5.10', 'simple', 'switchover-after-enable'),
    verdict: 'safe',
    cites: 'patroni#3026',
  },
  {
    name: 'Patroni 3.0.4 with per-cluster users and simple tokens on etcd 3.4.41 is safe: no auth checks on its tokenless calls yet (etcd 3.4.42 notes)',
    row: 'patroni-before-etcd-auth-checks',
    query: q('3.0.4', '3.4.41', 'simple', 'per-cluster-users'),
    verdict: 'safe',
    cites: 'etcd 3.4.42 changelog',
  },
  {
    name: 'Patroni 3.3.0 with per-cluster users and simple tokens on etcd 3.4.23 is safe: etcd 3.4 before 3.4.42 checks none of its tokenless calls',
    row: 'patroni-before-etcd-auth-checks',
    query: q('3.3.0', '3.4.23', 'simple', 'per-cluster-users'),
    verdict: 'safe',
    cites: 'etcd 3.4.42 changelog',
  },
  {
    name: 'Patroni 4.1.1 with per-cluster users on etcd 3.6.10 is safe (patroni#3580, etcd#21549)',
    row: 'patroni-with-2026-etcd-fixes',
    query: q('4.1.1', '3.6.10', 'jwt', 'per-cluster-users'),
    verdict: 'safe',
    cites: 'patroni#3580',
  },
  {
    name: 'Patroni 3.0.2 moving from etcd v2 to etcd3 on etcd 3.4.23 is safe: keys copied while paused, the same leader takes the key again (tested on this stack)',
    row: 'this-stack-etcd3-move',
    query: q('3.0.2', '3.4.23', 'unknown', 'move-to-etcd3'),
    verdict: 'safe',
    cites: 'etcd-v3-migrate.test.ts',
  },
  {
    name: 'Patroni 3.3.0 moving to etcd3 on etcd 3.5.12 with --enable-v2 is safe by upstream procedure (patroni#1769), keys copied by pgfleet (patroni#1822)',
    row: 'etcd3-move-with-v2-served',
    query: q('3.3.0', '3.5.12', 'simple', 'move-to-etcd3'),
    verdict: 'safe',
    cites: 'patroni#1769',
  },
  {
    name: 'moving to etcd3 on etcd 3.6 is unsafe: v2 is gone, the keys cannot be read (patroni#3382)',
    row: 'etcd-3.6-has-no-v2',
    query: q('4.0.6', '3.6.1', 'simple', 'move-to-etcd3'),
    verdict: 'unsafe',
    cites: 'patroni#3382',
  },
];

describe('compatibility matrix rows', () => {
  for (const rowCase of ROW_CASES) {
    it(rowCase.name, () => {
      const result = evaluateCompatibility(rowCase.query);
      assert.equal(result.verdict, rowCase.verdict);
      assert.ok(
        result.rows.some((row) => row.id === rowCase.row),
        `row ${rowCase.row} matches (got ${result.rows.map((row) => row.id).join(', ')})`,
      );
      assert.ok(
        result.citations.some((citation) => citation.ref.includes(rowCase.cites)),
        `cites ${rowCase.cites} (got ${result.citations.map((c) => c.ref).join('; ')})`,
      );
    });
  }

  it('every row of the matrix has a test above', () => {
    const tested = new Set(ROW_CASES.map((rowCase) => rowCase.row));
    assert.deepEqual(
      COMPATIBILITY_ROWS.map((row) => row.id).filter((id) => !tested.has(id)),
      [],
    );
  });

  it('every row carries a reason and at least one citation, and upstream citations have a URL', () => {
    for (const row of COMPATIBILITY_ROWS) {
      assert.ok(row.reason.length > 40, row.id);
      assert.ok(row.citations.length > 0, row.id);
      for (const citation of row.citations)
        if (citation.kind !== 'local-test')
          assert.match(citation.url ?? '', /^https:\/\/github\.com\//, `${row.id}: ${citation.ref}`);
    }
  });
});

describe('compatibility matrix evaluation', () => {
  it('a combination outside every row is unknown, never safe', () => {
    const result = evaluateCompatibility(q('3.0.2', '3.5.21', 'simple', 'per-cluster-users'));
    assert.equal(result.verdict, 'unknown');
    assert.equal(result.evidence, 'none');
    assert.deepEqual(result.rows, []);
    assert.match(result.reasons[0]!, /no row of the compatibility matrix covers Patroni 3\.0\.2 with etcd 3\.5\.21/);
  });

  it('an etcd line no row was written for (3.7) is unknown even for a fixed Patroni', () => {
    assert.equal(evaluateCompatibility(q('4.1.4', '3.7.0', 'simple', 'per-cluster-users')).verdict, 'unknown');
  });

  it('a version that is not a dotted number is unknown', () => {
    assert.equal(evaluateCompatibility(q('', '3.4.23', 'simple', 'per-cluster-users')).verdict, 'unknown');
    assert.equal(evaluateCompatibility(q('3.0.2', 'v3.4.23', 'simple', 'per-cluster-users')).verdict, 'unknown');
  });

  it('ranges are half-open: etcd 3.4.41 is before the auth checks, 3.4.42 is the first with them', () => {
    assert.equal(evaluateCompatibility(q('3.0.2', '3.4.41', 'simple', 'per-cluster-users')).verdict, 'safe');
    assert.equal(evaluateCompatibility(q('3.0.2', '3.4.42', 'simple', 'per-cluster-users')).verdict, 'unsafe');
  });

  it('the worst matching verdict wins and every matching row gives its reason and citations', () => {
    // 4.0.7 on 3.5.28: calls without a token (patroni#3573) and member list for root only (etcd#21516).
    const result = evaluateCompatibility(q('4.0.7', '3.5.28', 'simple', 'per-cluster-users'));
    assert.equal(result.verdict, 'unsafe');
    assert.deepEqual(result.rows.map((row) => row.id).sort(), [
      'auth-checked-calls-without-token',
      'member-list-root-only',
    ]);
    assert.equal(result.reasons.length, 2);
    const refs = result.citations.map((citation) => citation.ref);
    for (const ref of ['patroni#3573', 'patroni#3580', 'etcd#21516', 'etcd#21538']) assert.ok(refs.includes(ref), ref);
    assert.equal(new Set(refs).size, refs.length, 'no citation twice');
  });

  it('a hazard row outweighs a clearance row: tested safe and degraded on rollback gives degraded, tested here', () => {
    const result = evaluateCompatibility(q('3.0.2', '3.4.23', 'simple', 'enable-auth-live'));
    assert.equal(result.verdict, 'degraded');
    assert.equal(result.evidence, 'tested-here');
    assert.equal(result.rows[0]!.verdict, 'degraded', 'worst first');
  });

  it('says when a verdict comes from upstream notes rather than a test on this stack', () => {
    assert.equal(evaluateCompatibility(q('3.0.2', '3.4.23', 'simple', 'per-cluster-users')).evidence, 'tested-here');
    assert.equal(evaluateCompatibility(q('3.0.2', '3.4.42', 'simple', 'per-cluster-users')).evidence, 'upstream-notes');
  });

  it('an unknown token type is judged as both simple and JWT: the lab pair is unsafe then', () => {
    const result = evaluateCompatibility(q('3.0.2', '3.4.23', 'unknown', 'per-cluster-users'));
    assert.equal(result.verdict, 'unsafe');
    assert.match(result.reasons[0]!, /token type is not known/);
    assert.ok(result.rows.some((row) => row.id === 'this-stack-jwt-tokens'));
  });

  it('an unknown token type with one side uncovered is unknown, not safe', () => {
    // Patroni 3.0.4 on etcd 3.4.30 upgrade: a row for simple tokens only.
    const state = { authEnabled: true, hasCredentials: true };
    assert.equal(evaluateCompatibility(q('3.0.4', '3.4.30', 'simple', 'upgrade-etcd', state)).verdict, 'safe');
    assert.equal(evaluateCompatibility(q('3.0.4', '3.4.30', 'unknown', 'upgrade-etcd', state)).verdict, 'unknown');
  });

  it('rows conditioned on auth state match either way when the query does not say', () => {
    const result = evaluateCompatibility(q('3.0.2', '3.4.42', 'simple', 'upgrade-etcd'));
    assert.equal(result.verdict, 'unsafe');
    assert.ok(result.rows.some((row) => row.id === 'upgrade-to-auth-checked-etcd'));
    assert.ok(result.rows.some((row) => row.id === 'upgrade-to-auth-checked-etcd-auth-off'));
  });

  it('worseVerdict orders unsafe above unknown above degraded above safe', () => {
    assert.equal(worseVerdict('safe', 'degraded'), 'degraded');
    assert.equal(worseVerdict('unknown', 'degraded'), 'unknown');
    assert.equal(worseVerdict('unknown', 'unsafe'), 'unsafe');
    assert.equal(worseVerdict('safe', 'safe'), 'safe');
  });
});

describe('the stack facts the gates and audit use are the matrix', () => {
  const etcdVersions = [
    '3.3.25',
    '3.4.0',
    '3.4.22',
    '3.4.23',
    '3.4.41',
    '3.4.42',
    '3.4.45',
    '3.5.0',
    '3.5.21',
    '3.5.27',
    '3.5.28',
    '3.5.33',
    '3.6.0',
    '3.6.8',
    '3.6.9',
    '3.6.14',
    '3.7.0',
  ];

  it('etcdVersionSupportsPatroni30Auth answers as the range 3.4.0 to 3.4.41 it replaced', () => {
    for (const version of etcdVersions) {
      const before = compareVersions(version, '3.4.0') >= 0 && compareVersions(version, '3.4.42') < 0;
      assert.equal(etcdVersionSupportsPatroni30Auth(version), before, version);
    }
  });

  it('isPatroniBefore32 answers as the comparison with 3.2.0 it replaced', () => {
    for (const version of ['2.1.7', '3.0.2', '3.1.2', '3.1.99', '3.2.0', '3.2.2', '3.3.11', '4.0.8', '4.1.4']) {
      assert.equal(isPatroniBefore32(version), compareVersions(version, '3.2.0') < 0, version);
    }
  });
});

describe('etcd upgrade check', () => {
  const labMembers: UpgradeCheckMember[] = [
    { id: '/service/alpha/alpha-1', patroniVersion: '3.0.2', hasCredentials: true },
    { id: '/service/alpha/alpha-2', patroniVersion: '3.0.2', hasCredentials: true },
    { id: '/service/beta/beta-1', patroniVersion: '3.0.2', hasCredentials: true },
  ];
  const lab = (targetEtcdVersion: string) =>
    checkEtcdUpgrade({ members: labMembers, targetEtcdVersion, tokenType: 'simple', authEnabled: true });

  it('the lab (Patroni 3.0.2, per-cluster users, simple tokens) upgraded to etcd 3.4.42 is unsafe for every member, citing patroni#3573 and PR #3580', () => {
    const check = lab('3.4.42');
    assert.equal(check.verdict, 'unsafe');
    assert.equal(check.wouldBreak, true);
    assert.deepEqual(
      check.members.map((member) => member.id),
      labMembers.map((member) => member.id),
    );
    for (const member of check.members) {
      assert.equal(member.verdict, 'unsafe', member.id);
      const refs = member.citations.map((citation) => `${citation.kind} ${citation.ref}`);
      assert.ok(refs.includes('issue patroni#3573'), member.id);
      assert.ok(refs.includes('pr patroni#3580'), member.id);
      assert.ok(member.rowIds.includes('upgrade-to-auth-checked-etcd'));
    }
  });

  it('the lab upgraded to etcd 3.4.41 is safe', () => {
    const check = lab('3.4.41');
    assert.equal(check.verdict, 'safe');
    assert.equal(check.wouldBreak, false);
    assert.deepEqual(check.unknownMembers, []);
    assert.ok(check.members.every((member) => member.verdict === 'safe'));
  });

  it('the lab upgraded to etcd 3.6.10 is unsafe for the same reason: member list is relaxed there, but still needs a token', () => {
    const check = lab('3.6.10');
    assert.equal(check.wouldBreak, true);
    for (const member of check.members) {
      assert.equal(member.verdict, 'unsafe');
      assert.ok(member.citations.some((citation) => citation.ref === 'patroni#3573'));
      assert.ok(member.rowIds.includes('upgrade-to-auth-checked-etcd'));
    }
  });

  it('a fleet already on fixed Patroni is safe on 3.4.43 but unsafe on 3.4.42, where only root lists members', () => {
    const members: UpgradeCheckMember[] = [{ id: '/service/gamma/g1', patroniVersion: '4.1.1', hasCredentials: true }];
    assert.equal(
      checkEtcdUpgrade({ members, targetEtcdVersion: '3.4.43', tokenType: 'simple', authEnabled: true }).verdict,
      'safe',
    );
    const rootOnly = checkEtcdUpgrade({ members, targetEtcdVersion: '3.4.42', tokenType: 'simple', authEnabled: true });
    assert.equal(rootOnly.wouldBreak, true);
    assert.equal(rootOnly.members[0]!.rowIds[0], 'upgrade-to-member-list-root-only', 'the deciding row first');
    assert.ok(rootOnly.members[0]!.citations.some((citation) => citation.ref === 'etcd#21516'));
  });

  it('names only the members that would break in a mixed fleet, and lists members whose version is not known', () => {
    const check = checkEtcdUpgrade({
      members: [
        { id: '/service/alpha/alpha-1', patroniVersion: '3.0.2', hasCredentials: true },
        { id: '/service/gamma/g1', patroniVersion: '4.1.1', hasCredentials: true },
        { id: '/service/delta/d1', patroniVersion: undefined, hasCredentials: true },
      ],
      targetEtcdVersion: '3.5.29',
      tokenType: 'simple',
      authEnabled: true,
    });
    assert.equal(check.wouldBreak, true);
    assert.deepEqual(
      check.members.map((member) => [member.id, member.verdict]),
      [
        ['/service/alpha/alpha-1', 'unsafe'],
        ['/service/gamma/g1', 'safe'],
        ['/service/delta/d1', 'unknown'],
      ],
    );
    assert.deepEqual(check.unknownMembers, ['/service/delta/d1']);
  });

  it('with auth off, an upgrade to an auth-checking etcd breaks nothing now but is degraded', () => {
    const check = checkEtcdUpgrade({
      members: labMembers,
      targetEtcdVersion: '3.4.42',
      tokenType: 'simple',
      authEnabled: false,
    });
    assert.equal(check.verdict, 'degraded');
    assert.equal(check.wouldBreak, false);
  });

  it('an empty fleet is unknown and breaks nothing', () => {
    const check = checkEtcdUpgrade({
      members: [],
      targetEtcdVersion: '3.4.41',
      tokenType: 'simple',
      authEnabled: true,
    });
    assert.equal(check.verdict, 'unknown');
    assert.equal(check.wouldBreak, false);
  });
});

describe('client API support', () => {
  it("vip-manager 1.0.2 (Debian bookworm's) speaks only etcd v2 and drops the VIP on a read error (vip-manager#250)", () => {
    const support = clientApiSupport('vip-manager', '1.0.2');
    assert.equal(support.etcdV2, true);
    assert.equal(support.etcdV3, false);
    assert.equal(support.dropsVipOnReadError, true);
    assert.ok(support.citations.some((citation) => citation.ref === 'vip-manager#250'));
  });

  it('vip-manager 2.0.0 and later speak only etcd v3 and also drop the VIP on a read error', () => {
    for (const version of ['2.0.0', '2.8.0', '5.0.0']) {
      const support = clientApiSupport('vip-manager', version);
      assert.deepEqual([support.etcdV2, support.etcdV3, support.dropsVipOnReadError], [false, true, true], version);
    }
  });

  it('an unknown client or a version after the newest read is unknown', () => {
    assert.equal(clientApiSupport('confd', '0.16.0').etcdV3, 'unknown');
    assert.equal(clientApiSupport('vip-manager', '6.0.0').etcdV2, 'unknown');
    assert.equal(clientApiSupport('vip-manager', 'latest').dropsVipOnReadError, 'unknown');
  });
});
