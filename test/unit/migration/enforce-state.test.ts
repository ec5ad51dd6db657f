import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  canTransition,
  type EnforceState,
  interruptedRun,
  rollbackSteps,
  transition,
  withEndpointsDown,
} from '../../../src/core/migration/enforce-state.js';
import { classifyPatchConfig } from '../../../src/core/migration/dcs-write-probe.js';

const state = (phase: EnforceState['phase'], pausedByUs: string[] = ['/service/alpha']): EnforceState => ({
  id: 'r1',
  phase,
  coordinator: { host: 'h', pid: 1 },
  startedAt: 't',
  updatedAt: 't',
  pausedByUs,
  probes: [],
  failures: [],
  endpointsDown: [],
});

describe('enforce state machine', () => {
  it('moves forward one phase at a time', () => {
    assert.equal(canTransition('gates', 'pausing'), true);
    assert.equal(canTransition('pausing', 'enabling'), true);
    assert.equal(canTransition('enabling', 'probing'), true);
    assert.equal(canTransition('probing', 'resuming'), true);
    assert.equal(canTransition('resuming', 'enforced'), true);
    assert.equal(canTransition('gates', 'enabling'), false, 'auth is never enabled before every cluster is paused');
    assert.equal(canTransition('pausing', 'probing'), false);
  });

  it('can roll back from any phase after the gates, and only ends rolled back', () => {
    for (const phase of ['pausing', 'enabling', 'probing', 'resuming'] as const)
      assert.equal(canTransition(phase, 'rolling-back'), true, phase);
    assert.equal(canTransition('gates', 'rolling-back'), false);
    assert.equal(canTransition('rolling-back', 'rolled-back'), true);
    assert.equal(canTransition('rolling-back', 'enforced'), false);
  });

  it('refuses any move out of a finished run', () => {
    assert.throws(() => transition(state('enforced'), 'rolling-back'));
    assert.throws(() => transition(state('rolled-back'), 'pausing'));
  });

  it('rolls back an interrupted run by disabling auth if it is on, then resuming only the clusters it paused', () => {
    assert.deepEqual(rollbackSteps(state('probing'), true), [
      { kind: 'auth-disable' },
      { kind: 'resume', clusters: ['/service/alpha'] },
    ]);
    assert.deepEqual(rollbackSteps(state('pausing'), false), [{ kind: 'resume', clusters: ['/service/alpha'] }]);
    assert.deepEqual(rollbackSteps(state('probing', []), true), [{ kind: 'auth-disable' }]);
    assert.deepEqual(rollbackSteps(undefined, true), [{ kind: 'auth-disable' }]);
  });

  it('reports a run left unfinished, and none once it ended', () => {
    assert.equal(interruptedRun(state('enabling'))?.phase, 'enabling');
    assert.equal(interruptedRun(state('enforced')), undefined);
    assert.equal(interruptedRun(undefined), undefined);
  });
});

describe('etcd endpoints down during a run', () => {
  it('adds an endpoint that went down after the gates to those down at the gates, each named once', () => {
    const atGates = { ...state('probing'), endpointsDown: ['http://127.0.0.1:2379'] };
    const atEnd = withEndpointsDown(atGates, ['http://127.0.0.1:2379', 'http://127.0.0.1:2389']);
    assert.deepEqual(atEnd.endpointsDown, ['http://127.0.0.1:2379', 'http://127.0.0.1:2389']);
    assert.equal(atEnd.phase, 'probing');
  });
});

describe('DCS write probe verdicts', () => {
  it('reads 200 as a write that went through and 409 as refused or conflicting', () => {
    assert.equal(classifyPatchConfig(200), 'writes');
    assert.equal(classifyPatchConfig(409), 'conflict');
    assert.equal(classifyPatchConfig(401), 'rest-auth');
    assert.equal(classifyPatchConfig(503), 'error');
  });
});
