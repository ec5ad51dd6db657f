import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type RoleSample, roleChanges, twoPrimaryMoments } from '../../../src/core/lab/role-samples.js';

const sample = (at: number, node: string, role: string, view = 'coordinator', scope = 'alpha'): RoleSample => ({
  at,
  view,
  scope,
  node,
  role,
});

describe('two primaries in one cluster, from role samples', () => {
  it('finds none while one member is primary and the other replica', () => {
    assert.deepEqual(
      twoPrimaryMoments([sample(0, 'a1', 'master'), sample(1, 'a2', 'replica'), sample(1_000, 'a1', 'master')]),
      [],
    );
  });

  it('finds two members saying primary in the same round, or from two views close in time', () => {
    assert.equal(twoPrimaryMoments([sample(0, 'a1', 'master'), sample(3, 'a2', 'primary')]).length, 1);
    const moments = twoPrimaryMoments([sample(0, 'a1', 'master', 'h1'), sample(700, 'a2', 'master', 'h2')]);
    assert.deepEqual(
      moments[0]!.primaries.map((p) => `${p.node}@${p.view}`),
      ['a1@h1', 'a2@h2'],
    );
  });

  it('does not count a failover whose two primaries are further apart than the tolerance, nor primaries of different clusters', () => {
    assert.deepEqual(twoPrimaryMoments([sample(0, 'a1', 'master'), sample(5_000, 'a2', 'master')]), []);
    assert.deepEqual(
      twoPrimaryMoments([sample(0, 'a1', 'master'), sample(0, 'b1', 'master', 'coordinator', 'beta')]),
      [],
    );
  });
});

describe('demotions and leader changes, from role samples', () => {
  it('finds a primary seen as a replica later, and a cluster whose primary changed, in time order', () => {
    const changes = roleChanges([
      sample(2_000, 'a2', 'master'),
      sample(0, 'a1', 'master'),
      sample(1_000, 'a1', 'replica'),
      sample(0, 'b1', 'master', 'coordinator', 'beta'),
    ]);
    assert.deepEqual(
      changes.demotions.map((d) => d.node),
      ['a1'],
    );
    assert.deepEqual(
      changes.leaderChanges.map((c) => `${c.scope}: ${c.from} → ${c.to}`),
      ['alpha: a1 → a2'],
    );
  });

  it('finds none in a steady fleet', () => {
    assert.deepEqual(
      roleChanges([sample(0, 'a1', 'master'), sample(0, 'a2', 'replica'), sample(900, 'a1', 'master')]),
      {
        demotions: [],
        leaderChanges: [],
      },
    );
  });
});
