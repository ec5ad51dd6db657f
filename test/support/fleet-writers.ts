import assert from 'node:assert/strict';
import type { WriterTally } from '../../src/lab/fleet-writers.js';
import type { RoleWatchReport } from '../../src/lab/role-watch.js';

// The writers and leader checks live in the lab (the demo and the benchmark use them too).
export { type WriterTally, startFleetWriters } from '../../src/lab/fleet-writers.js';
export { leadersAndTimelines, startRoleWatch } from '../../src/lab/role-watch.js';

/** Every cluster's writer kept writing through the run (more than `moreThan` rows) and not one write failed. */
export function assertEveryWriteLanded(tallies: readonly WriterTally[], moreThan = 0): void {
  assert.ok(tallies.length > 0, 'writers ran');
  for (const tally of tallies) {
    assert.equal(tally.failed, 0, `${tally.scope}: failed writes`);
    assert.ok(tally.ok > moreThan, `${tally.scope}: the writer kept writing through the run (${tally.ok} rows)`);
  }
}

/** The role watch sampled the fleet and saw no primary demoted and no leader change. */
export function assertNoRoleChange(roles: RoleWatchReport): void {
  assert.ok(roles.samples > 0, 'the role watch sampled the fleet');
  assert.deepEqual(roles.demotions, [], 'no demotion');
  assert.deepEqual(roles.leaderChanges, [], 'no leader change');
}
