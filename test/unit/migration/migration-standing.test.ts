import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EnforceState } from '../../../src/core/migration/enforce-state.js';
import {
  type StandingInput,
  migrationStanding,
  recordVersusFleet,
} from '../../../src/core/migration/migration-standing.js';
import type { RunLockHolder } from '../../../src/core/migration/run-lock-record.js';

const run = (phase: EnforceState['phase'], fields: Partial<EnforceState> = {}): EnforceState => ({
  id: 'r1',
  phase,
  coordinator: { host: 'db-admin-1', pid: 4242 },
  startedAt: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:03Z',
  pausedByUs: ['/service/alpha', '/service/beta'],
  probes: [],
  failures: [],
  endpointsDown: [],
  ...fields,
});

const holder = (runId: string, fields: Partial<RunLockHolder> = {}): RunLockHolder => ({
  kind: 'etcd-auth-enforce',
  runId,
  host: 'db-admin-1',
  pid: 4242,
  phase: 'probing',
  since: '2026-01-01T00:00:00Z',
  updatedAt: '2026-01-01T00:00:03Z',
  ttlSeconds: 10,
  ...fields,
});

const input = (fields: Partial<StandingInput>): StandingInput => ({
  authEnabled: false,
  totalMembers: 4,
  readyMembers: 4,
  unreachableMembers: [],
  lastRun: undefined,
  lock: undefined,
  pausedNow: [],
  now: new Date('2026-01-01T00:00:10Z'),
  ...fields,
});

describe('where the fleet stands in the etcd auth migration', () => {
  it('not started, applying, then ready to enforce, from the members ready', () => {
    assert.equal(migrationStanding(input({ readyMembers: 0 })).stage, 'not-started');
    const applying = migrationStanding(input({ readyMembers: 3 }));
    assert.equal(applying.stage, 'applying');
    assert.match(applying.summary, /3\/4 member\(s\) ready/);
    assert.equal(migrationStanding(input({})).next, '`pgfleet etcd auth enforce`');
  });

  it('an unreachable member is never counted ready: the summary and the next step say to bring it back', () => {
    const standing = migrationStanding(input({ readyMembers: 3, unreachableMembers: ['/service/beta/beta-2'] }));
    assert.equal(standing.stage, 'waiting-for-members');
    assert.match(standing.summary, /3\/4 member\(s\) ready \(1 applied but unreachable: \/service\/beta\/beta-2\)/);
    assert.match(standing.next!, /^bring back \/service\/beta\/beta-2/);
    assert.doesNotMatch(standing.summary, /4\/4/);
  });

  it('a run holding the lock while the fleet looks ready: next is to wait, never to enforce', () => {
    const standing = migrationStanding(input({ lock: { holder: holder('m1', { kind: 'etcd-auth-migrate' }) } }));
    assert.equal(standing.stage, 'run-in-progress');
    assert.equal(standing.next, 'wait for it to finish');
    assert.match(standing.summary, /etcd-auth-migrate run m1 \(phase probing\) by pid 4242 on db-admin-1/);
  });

  it('an interrupted run (lock expired, coordinator gone): names its phase, the clusters the members report paused, and the two ways out', () => {
    const standing = migrationStanding(
      input({
        authEnabled: true,
        lastRun: run('probing'),
        coordinatorProcess: 'gone',
        pausedNow: ['/service/alpha', '/service/beta'],
      }),
    );
    assert.equal(standing.stage, 'enforce-interrupted');
    assert.equal(
      standing.summary,
      'enforce run r1 was interrupted in phase probing: its coordinator (pid 4242 on db-admin-1) is gone; auth is ON, 2 cluster(s) still paused by it (/service/alpha, /service/beta)',
    );
    assert.match(standing.next!, /etcd auth rollback.*etcd auth migrate/);
  });

  it('killed during resume: the summary speaks of what the members report, not of the record', () => {
    const standing = migrationStanding(
      input({ authEnabled: true, lastRun: run('resuming'), coordinatorProcess: 'gone', pausedNow: [] }),
    );
    assert.equal(standing.stage, 'enforce-interrupted');
    assert.match(
      standing.summary,
      /no cluster it paused is paused now \(every member reports paused: false\), although its record lists 2/,
    );
    assert.doesNotMatch(standing.summary, /still paused/);
    assert.match(standing.next!, /^`pgfleet etcd auth migrate` \(the run had passed every probe/);
  });

  it('a coordinator that still exists but lost the lock (stopped past its TTL) is not called gone', () => {
    const standing = migrationStanding(
      input({ lastRun: run('pausing'), coordinatorProcess: 'alive', pausedNow: ['/service/alpha'] }),
    );
    assert.equal(standing.stage, 'enforce-interrupted');
    assert.match(standing.summary, /still exists but no longer holds the run lock/);
  });

  it('a run whose lock holds its run id is running; another holder takes the unfinished run over', () => {
    assert.equal(
      migrationStanding(input({ authEnabled: true, lastRun: run('probing'), lock: { holder: holder('r1') } })).stage,
      'enforce-running',
    );
    const other = migrationStanding(input({ lastRun: run('probing'), lock: { holder: holder('r2') } }));
    assert.equal(other.stage, 'run-in-progress');
    assert.equal(other.next, 'wait for it to finish');
  });

  it('enforced, auth switched on by someone else, and a rolled-back run with its exposure window', () => {
    assert.equal(migrationStanding(input({ authEnabled: true, lastRun: run('enforced') })).stage, 'enforced');
    assert.equal(migrationStanding(input({ authEnabled: true, readyMembers: 0 })).stage, 'enabled-outside-pgfleet');
    const rolledBack = migrationStanding(
      input({ readyMembers: 3, lastRun: run('rolled-back', { exposureWindowMs: 1234 }) }),
    );
    assert.match(rolledBack.summary, /last enforce run r1 was rolled back \(auth was on for 1234 ms\)/);
  });
});

describe('record versus fleet', () => {
  it('says when the record lists clusters paused that every member reports resumed', () => {
    assert.deepEqual(
      recordVersusFleet({
        authEnabled: true,
        lastRun: run('resuming'),
        pausedNow: ['/service/beta'],
        clustersRead: ['/service/alpha', '/service/beta'],
      }),
      [
        'the record of run r1 lists /service/alpha as paused by it, but every member of that cluster reports paused: false',
      ],
    );
  });

  it('says nothing of a cluster whose members could not all be read', () => {
    assert.deepEqual(
      recordVersusFleet({
        authEnabled: true,
        lastRun: run('resuming'),
        pausedNow: [],
        clustersRead: ['/service/beta'],
      }),
      [
        'the record of run r1 lists /service/beta as paused by it, but every member of that cluster reports paused: false',
      ],
    );
  });

  it('says when the record says enforced and auth is off, and when auth is on before the run enabled it', () => {
    assert.match(
      recordVersusFleet({ authEnabled: false, lastRun: run('enforced'), pausedNow: [], clustersRead: [] })[0]!,
      /enforced auth .* but etcd auth is off now/,
    );
    assert.match(
      recordVersusFleet({
        authEnabled: true,
        lastRun: run('pausing', { pausedByUs: [] }),
        pausedNow: [],
        clustersRead: [],
      })[0]!,
      /before auth enable, but etcd auth is ON/,
    );
  });

  it('a record the fleet agrees with yields nothing', () => {
    assert.deepEqual(
      recordVersusFleet({
        authEnabled: true,
        lastRun: run('probing'),
        pausedNow: ['/service/alpha', '/service/beta'],
        clustersRead: ['/service/alpha', '/service/beta'],
      }),
      [],
    );
  });
});
