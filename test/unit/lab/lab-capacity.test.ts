import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  LAB_MEMORY_PER_ETCD_MEMBER_BYTES,
  LAB_MEMORY_PER_NODE_BYTES,
  checkLabMemory,
  labMemoryNeedBytes,
  labStartConcurrency,
  labStartTimeoutMs,
  processTree,
} from '../../../src/core/lab/lab-capacity.js';
import { LAB_LIMITS, planLabTopology } from '../../../src/core/lab/lab-topology.js';
import { PgfleetError } from '../../../src/core/errors.js';

const lab = (clusters: number) => planLabTopology({ clusters, nodes: 2, etcdMembers: 3, basePort: 20_000 });

describe('lab capacity', () => {
  it('allows up to 100 clusters and refuses 101 with the limit in the message', () => {
    assert.equal(LAB_LIMITS.clusters, 100);
    assert.equal(lab(100).clusters.length, 100);
    assert.throws(() => lab(101), /--clusters must be an integer from 1 to 100/);
  });

  it('needs memory for every node and every etcd member', () => {
    assert.equal(labMemoryNeedBytes(lab(50)), 100 * LAB_MEMORY_PER_NODE_BYTES + 3 * LAB_MEMORY_PER_ETCD_MEMBER_BYTES);
  });

  it('refuses a lab larger than the available memory, naming how many clusters fit', () => {
    const available = labMemoryNeedBytes(lab(10));
    assert.doesNotThrow(() => checkLabMemory(lab(10), available));
    assert.throws(
      () => checkLabMemory(lab(11), available),
      (error: unknown) =>
        error instanceof PgfleetError &&
        error.code === 'LAB_NOT_ENOUGH_MEMORY' &&
        /--clusters 10\b/.test(error.hint ?? ''),
    );
  });

  it('starts a few clusters at once on a small machine, never fewer than 2 nor more than 8', () => {
    assert.equal(labStartConcurrency(1), 2);
    assert.equal(labStartConcurrency(2), 4);
    assert.equal(labStartConcurrency(64), 8);
  });

  it('gives a large lab more time to start than the default 3 minutes', () => {
    assert.equal(labStartTimeoutMs(lab(2)), 180_000);
    assert.ok(labStartTimeoutMs(lab(50)) > 180_000);
  });

  it('finds the given processes and all their descendants, once each, leaving out pids that are gone', () => {
    const table = new Map([
      [1, { ppid: 0 }],
      [10, { ppid: 1 }],
      [11, { ppid: 10 }],
      [12, { ppid: 11 }],
      [20, { ppid: 1 }],
    ]);
    assert.deepEqual(processTree(table, [10, 11, 99]), [10, 11, 12]);
  });
});
