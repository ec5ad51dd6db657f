import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type RotationClusterState,
  type RotationClusterStep,
  type RotationState,
  awaitingRotation,
  describeRotationSteps,
  interruptedRotation,
  reached,
  restoreSteps,
  rotationReadinessKey,
} from '../../../src/core/migration/rotation-run.js';

const cluster = (name: string, step: RotationClusterStep): RotationClusterState => ({
  cluster: `/service/${name}`,
  user: `patroni-${name}`,
  step,
  passwordFile: `/s/patroni-${name}.password`,
  previousFile: `/s/patroni-${name}.password.previous`,
  localMembers: [`/service/${name}/${name}-1`],
  otherMembers: [],
});
const state = (
  phase: RotationState['phase'],
  clusters: RotationClusterState[],
  pausedByUs: string[] = [],
): RotationState => ({
  id: 'r1',
  phase,
  coordinator: { host: 'h', pid: 1 },
  startedAt: 't',
  updatedAt: 't',
  pausedByUs,
  failures: [],
  clusters,
});

describe('tenant rotation run state', () => {
  it('calls a run interrupted unless it rotated, rolled back, or waits on other hosts', () => {
    assert.equal(interruptedRotation(undefined), undefined);
    assert.equal(interruptedRotation(state('rotated', [])), undefined);
    assert.equal(interruptedRotation(state('rolled-back', [])), undefined);
    assert.equal(interruptedRotation(state('awaiting-hosts', [])), undefined);
    assert.equal(interruptedRotation(state('rotating', []))?.id, 'r1');
    assert.equal(interruptedRotation(state('rolling-back', []))?.id, 'r1');
    assert.equal(awaitingRotation(state('awaiting-hosts', []))?.id, 'r1');
    assert.equal(awaitingRotation(state('rotating', [])), undefined);
  });

  it('orders the steps: etcd may hold the new password from changing on, and a rollback under way counts as past every step', () => {
    assert.equal(reached({ step: 'reloading' }, 'changing'), false);
    assert.equal(reached({ step: 'awaiting-hosts' }, 'changing'), false);
    assert.equal(reached({ step: 'changing' }, 'changing'), true);
    assert.equal(reached({ step: 'verifying' }, 'writing'), true);
    assert.equal(reached({ step: 'staging' }, 'writing'), false);
    assert.equal(reached({ step: 'restoring' }, 'changing'), true);
  });

  it('rolls back only the clusters left in the middle: YAMLs once writing began, etcd once changing began, the file once staged', () => {
    const steps = restoreSteps(
      state(
        'rotating',
        [
          cluster('alpha', 'rotated'),
          cluster('beta', 'verifying'),
          cluster('gamma', 'staging'),
          cluster('delta', 'pausing'),
          cluster('epsilon', 'pending'),
        ],
        ['/service/beta', '/service/gamma', '/service/delta'],
      ),
    );
    assert.deepEqual(steps, [
      { cluster: '/service/beta', yamls: true, etcd: true, file: true, resume: true },
      { cluster: '/service/gamma', yamls: false, etcd: false, file: true, resume: true },
      { cluster: '/service/delta', yamls: false, etcd: false, file: false, resume: true },
    ]);
  });

  it('keeps readiness records under pgfleet’s prefix, one per member, and describes the steps in one line', () => {
    assert.equal(
      rotationReadinessKey({ namespace: '/service/', scope: 'alpha', name: 'alpha-1' }),
      '/pgfleet/readiness/rotation/service/alpha/alpha-1',
    );
    assert.equal(
      describeRotationSteps(state('rotating', [cluster('alpha', 'changing'), cluster('beta', 'pending')])),
      '/service/alpha: changing, /service/beta: pending',
    );
  });
});
