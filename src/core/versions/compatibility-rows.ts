import type { Citation, CompatibilityRow, VersionRange } from './compatibility-row.js';

/**
 * The facts of the Patroni × etcd compatibility matrix, each with its source.
 * Hazard rows (degraded, unsafe) win over clearance rows (safe) where both
 * match; a combination no row covers is "unknown". Ranges stop at the newest
 * release lines read (Patroni 4.1, etcd 3.6): later lines are unknown until
 * someone reads their notes and adds rows.
 */

// --- Version ranges ---------------------------------------------------------

/** Every etcd line the rows were written for (3.7 is not covered yet). */
const ETCD_3_4_TO_3_6: readonly VersionRange[] = [{ from: '3.4.0', to: '3.7.0' }];

/** etcd's 2026 security releases and their successors: member list, lease grant and keepalive need an authenticated caller (CVE-2026-33413). */
const ETCD_AUTH_CHECKED: readonly VersionRange[] = [
  { from: '3.4.42', to: '3.5.0' },
  { from: '3.5.28', to: '3.6.0' },
  { from: '3.6.9', to: '3.7.0' },
];

/** The first of those releases, where listing members needs the root role (relaxed in 3.4.43, 3.5.29, 3.6.10). */
const ETCD_MEMBER_LIST_ROOT_ONLY: readonly VersionRange[] = [
  { from: '3.4.42', to: '3.4.43' },
  { from: '3.5.28', to: '3.5.29' },
  { from: '3.6.9', to: '3.6.10' },
];

/**
 * Patroni without PR #3580 (authenticated member discovery and lease
 * keepalive) and PR #3486 (lenient etcd error parsing): both shipped the same
 * day in 3.3.9, 4.0.8 and 4.1.1. There is no 3.4 line: 4.0.0 followed 3.3.x.
 */
const PATRONI_WITHOUT_2026_ETCD_FIXES: readonly VersionRange[] = [
  { from: '0', to: '3.3.9' },
  { from: '4.0.0', to: '4.0.8' },
  { from: '4.1.0', to: '4.1.1' },
];
const PATRONI_WITH_2026_ETCD_FIXES: readonly VersionRange[] = [
  { from: '3.3.9', to: '3.4.0' },
  { from: '4.0.8', to: '4.1.0' },
  { from: '4.1.1', to: '4.2.0' },
];

/** Patroni without PR #3426 (a watch etcd cancels is closed, not kept): fixed in 3.3.8, 4.0.7 and 4.1.0. */
const PATRONI_KEEPING_CANCELLED_WATCH: readonly VersionRange[] = [
  { from: '0', to: '3.3.8' },
  { from: '4.0.0', to: '4.0.7' },
];

const EVERY_PATRONI: readonly VersionRange[] = [{ from: '0', to: '4.2.0' }];
const THIS_STACK_PATRONI: readonly VersionRange[] = [{ from: '3.0.2', to: '3.0.3' }];
const THIS_STACK_ETCD: readonly VersionRange[] = [{ from: '3.4.23', to: '3.4.24' }];

// --- Citations ----------------------------------------------------------------

const FACTS_NOTE =
  'pgfleet facts note (shared/notes/patroni-etcd-facts.md), Patroni 3.0.2 × etcd 3.4.23 on Debian bookworm';
const localTest = (section: string): Citation => ({ kind: 'local-test', ref: `${FACTS_NOTE}: ${section}` });
const patroniIssue = (n: number): Citation => ({
  kind: 'issue',
  ref: `patroni#${n}`,
  url: `https://github.com/patroni/patroni/issues/${n}`,
});
const patroniPr = (n: number): Citation => ({
  kind: 'pr',
  ref: `patroni#${n}`,
  url: `https://github.com/patroni/patroni/pull/${n}`,
});
const etcdIssue = (n: number): Citation => ({
  kind: 'issue',
  ref: `etcd#${n}`,
  url: `https://github.com/etcd-io/etcd/issues/${n}`,
});
const etcdPr = (n: number): Citation => ({
  kind: 'pr',
  ref: `etcd#${n}`,
  url: `https://github.com/etcd-io/etcd/pull/${n}`,
});
const patroniNote = (version: string, title: string): Citation => ({
  kind: 'release-note',
  ref: `Patroni ${version} release notes: "${title}"`,
  url: `https://github.com/patroni/patroni/blob/v${version}/docs/releases.rst`,
});
const etcdNote = (version: string, title: string): Citation => ({
  kind: 'release-note',
  ref: `etcd ${version} changelog: "${title}"`,
  url: `https://github.com/etcd-io/etcd/blob/main/CHANGELOG/CHANGELOG-${version.split('.').slice(0, 2).join('.')}.md`,
});

const PATRONI_ETCD_COMPAT_NOTES: readonly Citation[] = ['4.1.1', '4.0.8', '3.3.9'].map((version) =>
  patroniNote(version, 'Compatibility with Etcd security fixes in v3.6.9, v3.5.28, and v3.4.42'),
);
const ETCD_AUTH_CHECK_NOTES: readonly Citation[] = ['3.4.42', '3.5.28', '3.6.9'].map((version) =>
  etcdNote(
    version,
    'Guard unauthenticated endpoints with auth checks to fix Authorization bypasses in multiple APIs (CVE-2026-33413)',
  ),
);
const ETCD_MEMBER_LIST_RELAXED_NOTES: readonly Citation[] = ['3.4.43', '3.5.29', '3.6.10'].map((version) =>
  etcdNote(version, 'etcdserver: allow non-admin to fetch member list and alarms'),
);
const PATRONI_JWT_NOTE = patroniNote('3.2.0', 'Handle AuthOldRevision error when working with Etcd v3');
const PATRONI_AUTH_RETRY_NOTE = patroniNote('3.3.0', 'Fix etcd3 authentication error handling');
const PATRONI_ERROR_PARSING_NOTE = patroniNote('4.1.1', 'Improvements for Etcd3 error handling');
const PATRONI_WATCH_NOTE = patroniNote('4.0.7', 'Handle watch cancelation messages in etcd3 properly');

const TOKENLESS_CITATIONS: readonly Citation[] = [
  patroniIssue(3573),
  patroniPr(3580),
  ...PATRONI_ETCD_COMPAT_NOTES,
  ...ETCD_AUTH_CHECK_NOTES,
];
const ROOT_ONLY_CITATIONS: readonly Citation[] = [
  etcdIssue(21516),
  etcdPr(21538),
  etcdPr(21549),
  etcdPr(21550),
  etcdPr(21551),
  ...ETCD_MEMBER_LIST_RELAXED_NOTES,
];
const UNPARSED_NOT_ENABLED_CITATIONS: readonly Citation[] = [
  patroniIssue(3525),
  patroniPr(3486),
  PATRONI_ERROR_PARSING_NOTE,
];

// --- Reasons shared by several rows ---------------------------------------------

const TOKENLESS_REASON =
  'this etcd auth-checks member list, lease grant and lease keepalive (CVE-2026-33413 fix); Patroni before 3.3.9, 4.0.8 and 4.1.1 lists the etcd members without authenticating first and does not re-authenticate when a keepalive is refused, so it cannot discover the etcd cluster when it starts and can lose its lease (patroni#3573, fixed by PR #3580). Later etcd releases still require an authenticated caller for both calls. Upgrade Patroni first, or keep etcd at 3.4.41, 3.5.27 or 3.6.8 at most';
const ROOT_ONLY_REASON =
  'on this etcd release only root may list the etcd members; a Patroni with a per-cluster (non-root) user cannot refresh the member list and can lose access to the cluster entirely, at the latest at its next start (etcd#21516). 3.4.43, 3.5.29 and 3.6.10 let any authenticated user list members again: skip this release';
const UNPARSED_NOT_ENABLED_REASON =
  'etcd 3.6 answers "authentication is not enabled" without the JSON "error" field; Patroni before 3.3.9, 4.0.8 and 4.1.1 does not recognise that answer and, given etcd credentials while auth is still off, loops on login when it starts (patroni#3525, fixed by PR #3486). Upgrade Patroni before giving it credentials on etcd 3.6';

/** Every fact of the matrix. The ids are stable: tests and callers refer to them. */
export const COMPATIBILITY_ROWS = [
  // --- Tested on this stack (Patroni 3.0.2, etcd 3.4.23) -------------------------
  {
    id: 'this-stack-simple-tokens',
    patroni: THIS_STACK_PATRONI,
    etcd: THIS_STACK_ETCD,
    tokenType: 'simple',
    operations: ['per-cluster-users', 'enable-auth-live', 'rotate-password'],
    verdict: 'safe',
    reason:
      'tested on this stack: Patroni 3.0.2 needs no permission outside its prefix (member list and lease calls work without a token on etcd 3.4.23), re-authenticates by itself when auth goes on and keeps its role, and re-reads etcd3.username/password on reload, using them at its next auth error: a rotated password must reach every member (reload) before it changes in etcd',
    citations: [localTest('Patroni 3.0.2 and etcd credentials'), localTest('Keys and prefixes')],
    evidence: 'tested-here',
  },
  {
    id: 'this-stack-jwt-tokens',
    patroni: THIS_STACK_PATRONI,
    etcd: THIS_STACK_ETCD,
    tokenType: 'jwt',
    operations: ['per-cluster-users', 'enable-auth-live', 'rotate-password'],
    verdict: 'unsafe',
    reason:
      'tested on this stack: with --auth-token jwt every users or roles change makes the tokens stale ("revision of auth store is old") and Patroni 3.0.2 does not re-authenticate: its writes fail and primaries demote. Run etcd with --auth-token simple',
    citations: [localTest('etcd v3 auth (token type)')],
    evidence: 'tested-here',
  },
  {
    id: 'this-stack-frozen-view-on-rollback',
    patroni: THIS_STACK_PATRONI,
    etcd: THIS_STACK_ETCD,
    tokenType: 'simple',
    operations: ['enable-auth-live'],
    verdict: 'degraded',
    reason:
      "tested on this stack: when auth goes off again (a rollback) while Patroni 3.0.2 re-authenticates, etcd cancels its watch on a stream it keeps open and Patroni's view of the DCS freezes; pgfleet detects it with a marker written to /config and restarts the member while paused",
    citations: [localTest('Added 2026-12-07 (frozen view)')],
    evidence: 'tested-here',
  },
  {
    id: 'no-credentials-with-auth-on',
    patroni: EVERY_PATRONI,
    etcd: ETCD_3_4_TO_3_6,
    tokenType: 'any',
    operations: ['upgrade-etcd'],
    when: { authEnabled: true, hasCredentials: false },
    verdict: 'unsafe',
    reason:
      'auth is on and this member has no etcd credentials: it already fails every DCS write and keeps looking healthy only through a watch opened before auth went on; the etcd restarts of an upgrade end that watch and the member loses the DCS (observed on Patroni 3.0.2 × etcd 3.4.23; the cause is etcd refusing a caller without a token). Give it credentials (pgfleet etcd auth apply) first',
    citations: [localTest('Patroni 3.0.2 and etcd credentials (a node with NO credentials)')],
    evidence: 'tested-here',
  },

  // --- JWT tokens ------------------------------------------------------------------
  {
    id: 'jwt-stale-tokens-before-3.2',
    patroni: [{ from: '0', to: '3.2.0' }],
    etcd: ETCD_3_4_TO_3_6,
    tokenType: 'jwt',
    operations: ['per-cluster-users', 'enable-auth-live', 'rotate-password'],
    verdict: 'unsafe',
    reason:
      'with JWT tokens every users or roles change invalidates the tokens etcd issued ("revision of auth store is old"); Patroni re-authenticates on AuthOldRevision only from 3.2.0, older members fail their writes and primaries demote. Run etcd with --auth-token simple, or upgrade Patroni to 3.2 or later first',
    citations: [PATRONI_JWT_NOTE, patroniPr(2913), patroniPr(2911)],
    evidence: 'upstream-notes',
  },

  // --- etcd's 2026 auth checks (CVE-2026-33413) --------------------------------------
  {
    id: 'auth-checked-calls-without-token',
    patroni: PATRONI_WITHOUT_2026_ETCD_FIXES,
    etcd: ETCD_AUTH_CHECKED,
    tokenType: 'any',
    operations: ['per-cluster-users', 'enable-auth-live', 'rotate-password', 'switchover-after-enable'],
    verdict: 'unsafe',
    reason: TOKENLESS_REASON,
    citations: TOKENLESS_CITATIONS,
    evidence: 'upstream-notes',
  },
  {
    id: 'upgrade-to-auth-checked-etcd',
    patroni: PATRONI_WITHOUT_2026_ETCD_FIXES,
    etcd: ETCD_AUTH_CHECKED,
    tokenType: 'any',
    operations: ['upgrade-etcd'],
    when: { authEnabled: true },
    verdict: 'unsafe',
    reason: TOKENLESS_REASON,
    citations: TOKENLESS_CITATIONS,
    evidence: 'upstream-notes',
  },
  {
    id: 'upgrade-to-auth-checked-etcd-auth-off',
    patroni: PATRONI_WITHOUT_2026_ETCD_FIXES,
    etcd: ETCD_AUTH_CHECKED,
    tokenType: 'any',
    operations: ['upgrade-etcd'],
    when: { authEnabled: false },
    verdict: 'degraded',
    reason: `auth is off, so etcd does not check these calls and nothing breaks now; but once auth is switched on: ${TOKENLESS_REASON}`,
    citations: TOKENLESS_CITATIONS,
    evidence: 'upstream-notes',
  },
  {
    id: 'lease-keepalive-user-empty-when-enabled-live',
    patroni: PATRONI_WITHOUT_2026_ETCD_FIXES,
    etcd: ETCD_AUTH_CHECKED,
    tokenType: 'any',
    operations: ['enable-auth-live'],
    verdict: 'unsafe',
    reason:
      'when auth is switched on while Patroni runs, its next lease keepalive is refused "user name is empty"; Patroni before 3.3.9, 4.0.8 and 4.1.1 has no auth-error handling on that call and fails instead of re-authenticating (patroni#3581; the handling came with PR #3580). Before etcd 3.4.42, 3.5.28 and 3.6.9 keepalive was not auth-checked',
    citations: [patroniIssue(3581), patroniPr(3580), ...PATRONI_ETCD_COMPAT_NOTES],
    evidence: 'upstream-notes',
  },
  {
    id: 'member-list-root-only',
    patroni: EVERY_PATRONI,
    etcd: ETCD_MEMBER_LIST_ROOT_ONLY,
    tokenType: 'any',
    operations: ['per-cluster-users', 'enable-auth-live', 'rotate-password', 'switchover-after-enable'],
    verdict: 'unsafe',
    reason: ROOT_ONLY_REASON,
    citations: ROOT_ONLY_CITATIONS,
    evidence: 'upstream-notes',
  },
  {
    id: 'upgrade-to-member-list-root-only',
    patroni: EVERY_PATRONI,
    etcd: ETCD_MEMBER_LIST_ROOT_ONLY,
    tokenType: 'any',
    operations: ['upgrade-etcd'],
    when: { authEnabled: true, hasCredentials: true },
    verdict: 'unsafe',
    reason: ROOT_ONLY_REASON,
    citations: ROOT_ONLY_CITATIONS,
    evidence: 'upstream-notes',
  },
  {
    id: 'upgrade-to-member-list-root-only-auth-off',
    patroni: EVERY_PATRONI,
    etcd: ETCD_MEMBER_LIST_ROOT_ONLY,
    tokenType: 'any',
    operations: ['upgrade-etcd'],
    when: { authEnabled: false },
    verdict: 'degraded',
    reason: `auth is off, so nothing breaks now; but once auth is switched on with per-cluster users: ${ROOT_ONLY_REASON}`,
    citations: ROOT_ONLY_CITATIONS,
    evidence: 'upstream-notes',
  },

  // --- etcd 3.6's error format -----------------------------------------------------------
  {
    id: 'auth-not-enabled-unrecognised-on-etcd-3.6',
    patroni: PATRONI_WITHOUT_2026_ETCD_FIXES,
    etcd: [{ from: '3.6.0', to: '3.7.0' }],
    tokenType: 'any',
    operations: ['enable-auth-live'],
    verdict: 'unsafe',
    reason: UNPARSED_NOT_ENABLED_REASON,
    citations: UNPARSED_NOT_ENABLED_CITATIONS,
    evidence: 'upstream-notes',
  },
  {
    id: 'upgrade-to-etcd-3.6-with-credentials-auth-off',
    patroni: PATRONI_WITHOUT_2026_ETCD_FIXES,
    etcd: [{ from: '3.6.0', to: '3.7.0' }],
    tokenType: 'any',
    operations: ['upgrade-etcd'],
    when: { authEnabled: false, hasCredentials: true },
    verdict: 'unsafe',
    reason: UNPARSED_NOT_ENABLED_REASON,
    citations: UNPARSED_NOT_ENABLED_CITATIONS,
    evidence: 'upstream-notes',
  },

  // --- Watches etcd cancels ---------------------------------------------------------------
  {
    id: 'cancelled-watch-kept',
    patroni: PATRONI_KEEPING_CANCELLED_WATCH,
    etcd: ETCD_3_4_TO_3_6,
    tokenType: 'any',
    operations: ['enable-auth-live'],
    verdict: 'degraded',
    reason:
      'when etcd cancels a watch it keeps the stream open; Patroni before 3.3.8 and 4.0.7 keeps reading it and serves stale data (PR #3426). A rollback of auth triggers it: pgfleet detects the frozen view with a /config marker and restarts the member while paused',
    citations: [PATRONI_WATCH_NOTE, patroniPr(3426), patroniIssue(3396)],
    evidence: 'upstream-notes',
  },

  // --- The first switchover once auth is on ---------------------------------------------------
  {
    id: 'switchover-retried-before-3.2',
    patroni: [{ from: '3.0.0', to: '3.2.0' }],
    etcd: ETCD_3_4_TO_3_6,
    tokenType: 'any',
    operations: ['switchover-after-enable'],
    verdict: 'safe',
    reason:
      'before 3.2.0 Patroni re-authenticates and retries once on any auth error of a DCS call; the "Invalid auth token" failure of the first switchover (patroni#3023) came with the retry rework of PR #2913 in 3.2.0',
    citations: [patroniPr(2913), patroniIssue(3023)],
    evidence: 'upstream-notes',
  },
  {
    id: 'first-switchover-invalid-token',
    patroni: [{ from: '3.2.0', to: '3.3.0' }],
    etcd: ETCD_3_4_TO_3_6,
    tokenType: 'any',
    operations: ['switchover-after-enable'],
    verdict: 'degraded',
    reason:
      'Patroni 3.2.x does not retry a DCS write made outside its retry loop (the failover key a switchover writes) on an auth error: the first switchover once auth is on can fail "Invalid auth token"; Patroni has re-authenticated by then and a second attempt succeeds (patroni#3023, fixed by PR #3026 in 3.3.0)',
    citations: [patroniIssue(3023), patroniPr(3026), PATRONI_AUTH_RETRY_NOTE],
    evidence: 'upstream-notes',
  },
  {
    id: 'switchover-retried-from-3.3',
    patroni: [{ from: '3.3.0', to: '4.2.0' }],
    etcd: ETCD_3_4_TO_3_6,
    tokenType: 'any',
    operations: ['switchover-after-enable'],
    verdict: 'safe',
    reason:
      'from 3.3.0 Patroni retries once on an auth error if it did not authenticate right before the request (PR #3026)',
    citations: [PATRONI_AUTH_RETRY_NOTE, patroniPr(3026)],
    evidence: 'upstream-notes',
  },

  // --- Moving from etcd's v2 API to v3 ----------------------------------------------------------
  {
    id: 'this-stack-etcd3-move',
    patroni: THIS_STACK_PATRONI,
    etcd: THIS_STACK_ETCD,
    tokenType: 'any',
    operations: ['move-to-etcd3'],
    verdict: 'safe',
    reason:
      'tested on this stack: with the cluster paused and its durable keys copied to v3 (config with pause: true, initialize, history, status), each Patroni 3.0.2 restarted on etcd3: registers itself; the running primary takes the free leader key again ("PAUSE: acquired session lock as a leader"), replicas take no action, PostgreSQL keeps running and the timeline does not change. Without the copied config the leader writes its own cached dynamic configuration, and history is lost: Patroni does not carry keys from one keyspace to the other',
    citations: [
      {
        kind: 'local-test',
        ref: 'test/integration/etcd-v3-migrate.test.ts: Patroni 3.0.2 × etcd 3.4.23 on Debian bookworm, 2 clusters moved under writers, one rolled back, an interrupted run finished',
      },
      patroniIssue(1769),
      patroniIssue(1822),
      patroniIssue(2564),
    ],
    evidence: 'tested-here',
  },
  {
    id: 'etcd3-move-with-v2-served',
    patroni: [{ from: '2.1.5', to: '4.2.0' }],
    etcd: [{ from: '3.4.0', to: '3.6.0' }],
    tokenType: 'any',
    operations: ['move-to-etcd3'],
    verdict: 'safe',
    reason:
      "Patroni has an etcd3 section from 2.0.0 (beta), production ready from 2.1.5; upstream's procedure is pause, edit every member's YAML, restart Patroni, resume (patroni#1769); the keys do not follow by themselves (patroni#1822, #2564), which is why pgfleet copies the durable ones while the cluster is paused. etcd 3.4 and 3.5 serve v2 only with --enable-v2",
    citations: [
      patroniNote('2.1.5', 'declares Etcd v3 support as production ready'),
      patroniIssue(1769),
      patroniIssue(1822),
      patroniIssue(2564),
    ],
    evidence: 'upstream-notes',
  },
  {
    id: 'etcd-3.6-has-no-v2',
    patroni: EVERY_PATRONI,
    etcd: [{ from: '3.6.0', to: '3.7.0' }],
    tokenType: 'any',
    operations: ['move-to-etcd3'],
    verdict: 'unsafe',
    reason:
      "etcd 3.6 removed the v2 API: a member on the etcd: section gets 404 and has no DCS (patroni#3382), and its cluster's v2 keys cannot be read to be moved. Move every cluster to etcd3: while etcd is still 3.4 or 3.5 with --enable-v2, then upgrade",
    citations: [patroniIssue(3382), etcdIssue(17009)],
    evidence: 'upstream-notes',
  },

  // --- Clearances from upstream notes ------------------------------------------------------------
  {
    id: 'patroni-before-etcd-auth-checks',
    patroni: [{ from: '3.0.0' }],
    etcd: [{ from: '3.4.0', to: '3.4.42' }],
    tokenType: 'simple',
    operations: ['per-cluster-users', 'enable-auth-live', 'upgrade-etcd'],
    verdict: 'safe',
    reason:
      'etcd 3.4 before 3.4.42 does not auth-check member list, lease grant and lease keepalive, the calls Patroni before 3.3.9/4.0.8/4.1.1 makes without a token; with simple tokens the behaviour tested on etcd 3.4.23 with Patroni 3.0.2 holds for every Patroni from 3.0',
    citations: [ETCD_AUTH_CHECK_NOTES[0]!, patroniIssue(3573), localTest('Patroni 3.0.2 and etcd credentials')],
    evidence: 'upstream-notes',
  },
  {
    id: 'patroni-with-2026-etcd-fixes',
    patroni: PATRONI_WITH_2026_ETCD_FIXES,
    etcd: ETCD_3_4_TO_3_6,
    tokenType: 'any',
    operations: ['per-cluster-users', 'enable-auth-live', 'rotate-password', 'upgrade-etcd'],
    verdict: 'safe',
    reason:
      'Patroni 3.3.9, 4.0.8 and 4.1.1 authenticate for member discovery and lease keepalive, re-authenticate on auth failures and parse etcd 3.6 errors; they re-authenticate on stale JWT tokens since 3.2.0. etcd 3.4.43, 3.5.29 and 3.6.10 let non-root users list members again (3.4.42, 3.5.28 and 3.6.9 do not: see member-list-root-only)',
    citations: [
      ...PATRONI_ETCD_COMPAT_NOTES,
      patroniPr(3580),
      PATRONI_ERROR_PARSING_NOTE,
      PATRONI_JWT_NOTE,
      ...ETCD_MEMBER_LIST_RELAXED_NOTES,
    ],
    evidence: 'upstream-notes',
  },
] as const satisfies readonly CompatibilityRow[];

export type CompatibilityRowId = (typeof COMPATIBILITY_ROWS)[number]['id'];
