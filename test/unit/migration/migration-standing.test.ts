import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { EnforceState } from '../../../src/core/migration/enforce-state.js';
import { migrationStanding } from '../../../src/core/migration/migration-standing.js';

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

describe('where the fleet stands in the etcd auth migration', () => {
  it('not started, applying, then ready to enforce, from the members ready', () => {
    assert.equal(
      migrationStanding({
        authEnabled: false,
        readyMembers: 0,
        totalMembers: 4,
        lastRun: undefined,
        coordinatorAlive: undefined,
      }).stage,
      'not-started',
    );
    const applying = migrationStanding({
      authEnabled: false,
      readyMembers: 3,
      totalMembers: 4,
      lastRun: undefined,
      coordinatorAlive: undefined,
    });
    assert.equal(applying.stage, 'applying');
    assert.match(applying.summary, /3\/4 member\(s\) ready/);
    assert.equal(
      migrationStanding({
        authEnabled: false,
        readyMembers: 4,
        totalMembers: 4,
        lastRun: undefined,
        coordinatorAlive: undefined,
      }).next,
      '`pgfleet etcd auth enforce`',
    );
  });

  it('an interrupted run: names its phase, its gone coordinator, the paused clusters, and the two ways out', () => {
    const standing = migrationStanding({
      authEnabled: true,
      readyMembers: 4,
      totalMembers: 4,
      lastRun: run('probing'),
      coordinatorAlive: false,
    });
    assert.equal(standing.stage, 'enforce-interrupted');
    assert.equal(
      standing.summary,
      'enforce run r1 was interrupted in phase probing: its coordinator (pid 4242 on db-admin-1) is gone; auth is ON, 2 cluster(s) still paused by it',
    );
    assert.match(standing.next!, /etcd auth rollback.*etcd auth enforce/);
  });

  it('a run whose coordinator is alive is running, not interrupted', () => {
    assert.equal(
      migrationStanding({
        authEnabled: true,
        readyMembers: 4,
        totalMembers: 4,
        lastRun: run('probing'),
        coordinatorAlive: true,
      }).stage,
      'enforce-running',
    );
  });

  it('a run on another host cannot be checked: it is reported as interrupted, asking to check the coordinator', () => {
    const standing = migrationStanding({
      authEnabled: false,
      readyMembers: 4,
      totalMembers: 4,
      lastRun: run('pausing'),
      coordinatorAlive: undefined,
    });
    assert.equal(standing.stage, 'enforce-interrupted');
    assert.match(standing.summary, /check that it is gone/);
  });

  it('enforced, auth switched on by someone else, and a rolled-back run with its exposure window', () => {
    assert.equal(
      migrationStanding({
        authEnabled: true,
        readyMembers: 4,
        totalMembers: 4,
        lastRun: run('enforced'),
        coordinatorAlive: undefined,
      }).stage,
      'enforced',
    );
    assert.equal(
      migrationStanding({
        authEnabled: true,
        readyMembers: 0,
        totalMembers: 4,
        lastRun: undefined,
        coordinatorAlive: undefined,
      }).stage,
      'enabled-outside-pgfleet',
    );
    const rolledBack = migrationStanding({
      authEnabled: false,
      readyMembers: 3,
      totalMembers: 4,
      lastRun: run('rolled-back', { exposureWindowMs: 1234 }),
      coordinatorAlive: undefined,
    });
    assert.match(rolledBack.summary, /last enforce run r1 was rolled back \(auth was on for 1234 ms\)/);
  });
});
