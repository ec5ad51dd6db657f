import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  type HostStepAnswer,
  type HostStepRequest,
  hostStepAnswerKey,
  hostStepClaimKey,
  hostStepRequestKey,
  hostStepWatch,
  hostsNotReadyMessage,
  hostsToAct,
  readHostSteps,
  requestLive,
  requestsForHost,
  restHostOf,
} from '../../../src/core/migration/etcd-v3-host-steps.js';

const request = (member: string, overrides: Partial<HostStepRequest> = {}): HostStepRequest => ({
  run: 'run1',
  writer: 'run1',
  cluster: '/service/alpha',
  namespace: '/service/',
  scope: 'alpha',
  member,
  action: 'move',
  apiUrl: `http://10.203.0.1${member.slice(-1)}:8008/patroni`,
  addedKeys: [],
  requestedAt: `2026-12-07T12:00:0${member.slice(-1)}.000Z`,
  ...overrides,
});

const answer = (of: HostStepRequest, ok = true): HostStepAnswer => ({
  run: of.run,
  cluster: of.cluster,
  member: of.member,
  action: of.action,
  host: 'h1',
  ok,
  addedKeys: [],
  detail: '',
  at: '2026-12-07T12:01:00.000Z',
});

const entry = (key: string, value: unknown) => ({ key, value: JSON.stringify(value) });

const hostMember = (node: string, restUrl: string) => ({ namespace: '/service/', scope: 'alpha', node, restUrl });

describe('host steps: a member on another host moved by `etcd v3 migrate --host-only` there', () => {
  it('keep the request, answer and claim of one member and action under the run, the cluster and the member', () => {
    const one = request('alpha-2');
    assert.equal(
      hostStepRequestKey(one),
      '/pgfleet/migrations/etcd-v3/host-steps/run1/service/alpha/alpha-2/move/request',
    );
    assert.equal(
      hostStepAnswerKey(one),
      '/pgfleet/migrations/etcd-v3/host-steps/run1/service/alpha/alpha-2/move/answer',
    );
    assert.equal(hostStepClaimKey(one), '/pgfleet/migrations/etcd-v3/host-steps/run1/service/alpha/alpha-2/move/claim');
    assert.notEqual(hostStepRequestKey({ ...one, action: 'rollback' }), hostStepRequestKey(one));
  });

  it('give a host the requests naming its members, by cluster, name and registered REST API, oldest first', () => {
    const first = request('alpha-1');
    const second = request('alpha-2');
    const steps = readHostSteps([
      entry(hostStepRequestKey(second), second),
      entry(hostStepRequestKey(first), first),
      { key: `${hostStepRequestKey(first).slice(0, -'request'.length)}garbage`, value: 'not json' },
    ]);
    const mine = [hostMember('alpha-1', 'http://10.203.0.11:8008'), hostMember('alpha-2', 'http://10.203.0.12:8008')];
    assert.deepEqual(
      requestsForHost(steps, mine).map((step) => step.request.member),
      ['alpha-1', 'alpha-2'],
    );
    // A member of the same name whose REST API is another one is another host's.
    assert.deepEqual(requestsForHost(steps, [hostMember('alpha-2', 'http://10.203.0.13:8008')]), []);
    // A request without a registered API cannot be told apart: no host takes it.
    const anonymous = request('alpha-3', { apiUrl: undefined });
    assert.deepEqual(
      requestsForHost(readHostSteps([entry(hostStepRequestKey(anonymous), anonymous)]), [
        hostMember('alpha-3', 'http://10.203.0.13:8008'),
      ]),
      [],
    );
  });

  it('leave out a request already answered, or claimed by a host or withdrawn by its coordinator', () => {
    const answered = request('alpha-1');
    const claimed = request('alpha-2');
    const open = request('alpha-3');
    const steps = readHostSteps([
      entry(hostStepRequestKey(answered), answered),
      entry(hostStepAnswerKey(answered), answer(answered)),
      entry(hostStepRequestKey(claimed), claimed),
      entry(hostStepClaimKey(claimed), { by: 'coordinator', withdrawn: true, at: '' }),
      entry(hostStepRequestKey(open), open),
    ]);
    const members = ['alpha-1', 'alpha-2', 'alpha-3'].map((name) =>
      hostMember(name, `http://10.203.0.1${name.slice(-1)}:8008`),
    );
    assert.deepEqual(
      requestsForHost(steps, members).map((step) => step.request.member),
      ['alpha-3'],
    );
  });

  it('carry out a request only for the recorded, open run whose writer holds the run lock', () => {
    const one = request('alpha-2');
    const moving = { id: 'run1', phase: 'moving' as const };
    assert.deepEqual(requestLive(one, { kind: 'etcd-v3-migrate', runId: 'run1' }, moving), { live: true });
    assert.equal(
      requestLive(one, { kind: 'etcd-v3-migrate', runId: 'run1' }, { ...moving, phase: 'finished' }).live,
      false,
    );
    assert.equal(requestLive(one, { kind: 'etcd-v3-migrate', runId: 'run1' }, { ...moving, id: 'run2' }).live, false);
    assert.equal(requestLive(one, { kind: 'etcd-v3-rollback', runId: 'other' }, moving).live, false);
    assert.equal(requestLive(one, undefined, moving).live, false);
    // A rollback finishing the run writes its own requests under the run's id.
    assert.deepEqual(requestLive({ ...one, writer: 'rb1' }, { kind: 'etcd-v3-rollback', runId: 'rb1' }, moving), {
      live: true,
    });
  });

  it('serve while an etcd v3 coordinator holds the lock with its run open, wait for one, stop once it is gone', () => {
    const base = { sawCoordinator: false, waitedMs: 0, waitMs: 60_000 };
    const moving = { id: 'run1', phase: 'moving' as const };
    assert.deepEqual(hostStepWatch({ ...base, run: moving, lockKind: 'etcd-v3-migrate' }), {
      kind: 'serve',
      run: 'run1',
    });
    // Still planning: the last run recorded is an old finished one.
    assert.deepEqual(hostStepWatch({ ...base, run: { id: 'old', phase: 'finished' }, lockKind: 'etcd-v3-migrate' }), {
      kind: 'wait',
    });
    assert.deepEqual(hostStepWatch({ ...base, run: undefined, lockKind: undefined }), { kind: 'wait' });
    // Another guarded run (etcd auth) is no coordinator of ours.
    assert.deepEqual(hostStepWatch({ ...base, run: moving, lockKind: 'etcd-auth-migrate', waitedMs: 60_000 }), {
      kind: 'no-run',
    });
    assert.deepEqual(hostStepWatch({ ...base, run: moving, lockKind: undefined, sawCoordinator: true }), {
      kind: 'over',
    });
  });

  it('name, for the plan, each member its own host must move, in restart order (the leader first)', () => {
    assert.deepEqual(
      hostsToAct(
        '/service/alpha',
        [
          { name: 'alpha-3', apiUrl: 'http://10.203.0.13:8008/patroni', local: false },
          { name: 'alpha-1', apiUrl: 'http://10.203.0.11:8008/patroni', local: true },
          { name: 'alpha-2', apiUrl: 'http://10.203.0.12:8008/patroni', local: false },
        ],
        'alpha-2',
      ).map((step) => [step.member, step.restHost]),
      [
        ['alpha-2', '10.203.0.12'],
        ['alpha-3', '10.203.0.13'],
      ],
    );
    assert.equal(restHostOf('not a url'), undefined);
  });

  it('say, when no host answered, which member, which host and what to run there', () => {
    const message = hostsNotReadyMessage(
      [
        {
          cluster: '/service/alpha',
          member: 'alpha-2',
          action: 'move',
          restHost: '10.203.0.12',
          command: 'pgfleet etcd v3 migrate --host-only',
        },
      ],
      30_000,
    );
    assert.match(message, /within 30 s/);
    assert.match(message, /\/service\/alpha\/alpha-2/);
    assert.match(message, /10\.203\.0\.12/);
    assert.match(message, /pgfleet etcd v3 migrate --host-only/);
  });
});
