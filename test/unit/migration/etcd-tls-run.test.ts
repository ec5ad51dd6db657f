import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type EtcdTlsRunState,
  etcdTlsReadinessKey,
  interruptedTlsRun,
  summarizeTlsOutcomes,
  tlsMemberOrder,
  tlsRecoverySteps,
} from '../../../src/core/migration/etcd-tls-run.js';
import type { FleetMember } from '../../../src/core/migration/fleet-member.js';

const state = (overrides: Partial<EtcdTlsRunState> = {}): EtcdTlsRunState => ({
  id: 'r1',
  phase: 'migrating',
  coordinator: { host: 'h', pid: 1 },
  startedAt: 't',
  updatedAt: 't',
  pausedByUs: ['/service/alpha'],
  members: [],
  failures: [],
  ...overrides,
});
const member = (name: string, role: string): FleetMember => ({
  namespace: '/service/',
  scope: 'alpha',
  name,
  apiUrl: undefined,
  role,
  managedHere: true,
});

describe('etcd tls migrate run', () => {
  it('moves replicas first and the leader last', () => {
    assert.deepEqual(
      tlsMemberOrder([member('alpha-1', 'master'), member('alpha-3', 'replica'), member('alpha-2', 'replica')]).map(
        (m) => m.name,
      ),
      ['alpha-2', 'alpha-3', 'alpha-1'],
    );
    assert.deepEqual(
      tlsMemberOrder([member('a', 'primary'), member('b', 'replica')]).map((m) => m.name),
      ['b', 'a'],
    );
  });

  it('finishes an interrupted run by restoring the member whose YAML may have changed, then resuming its cluster', () => {
    const flight = {
      member: '/service/alpha/alpha-2',
      configFile: '/etc/patroni/alpha-2.yaml',
      backupFile: '/etc/patroni/.alpha-2.yaml.pre-etcd-tls',
    };
    for (const step of ['written', 'restarting', 'restoring'] as const) {
      assert.deepEqual(
        tlsRecoverySteps(state({ inFlight: { ...flight, step } })),
        [
          { kind: 'restore-member', ...flight },
          { kind: 'resume', clusters: ['/service/alpha'] },
        ],
        step,
      );
    }
  });

  it('only drops the backup of a member whose YAML was not rewritten yet', () => {
    const flight = { member: 'm', configFile: '/c', backupFile: '/b', step: 'backed-up' as const };
    assert.deepEqual(tlsRecoverySteps(state({ inFlight: flight, pausedByUs: [] })), [
      { kind: 'drop-backup', member: 'm', backupFile: '/b' },
    ]);
  });

  it('sees a run as interrupted until it migrated or stopped', () => {
    assert.ok(interruptedTlsRun(state()));
    assert.ok(interruptedTlsRun(state({ phase: 'gates' })));
    assert.equal(interruptedTlsRun(state({ phase: 'migrated' })), undefined);
    assert.equal(interruptedTlsRun(state({ phase: 'stopped' })), undefined);
    assert.equal(interruptedTlsRun(undefined), undefined);
  });

  it("records readiness under pgfleet's own prefix and counts outcomes", () => {
    assert.equal(
      etcdTlsReadinessKey({ namespace: '/service/', scope: 'alpha', name: 'alpha-1' }),
      '/pgfleet/readiness/etcd-tls/service/alpha/alpha-1',
    );
    assert.equal(
      summarizeTlsOutcomes([
        { member: 'a', outcome: 'migrated', detail: '' },
        { member: 'b', outcome: 'migrated', detail: '' },
        { member: 'c', outcome: 'restored', detail: '' },
      ]),
      '2 migrated, 1 restored',
    );
  });
});
