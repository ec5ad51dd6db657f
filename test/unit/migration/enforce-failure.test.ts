import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  classifyMemberFailure,
  classifyTenantFailure,
  etcdTlsFailure,
  fixFor,
  nextStepsHint,
} from '../../../src/core/migration/enforce-failure.js';
import { evaluateEnforceGates, gateRefusalHint, type GateInput } from '../../../src/core/migration/enforce-gates.js';
import { describeRecovery, type EnforceState, recoveryOf } from '../../../src/core/migration/enforce-state.js';
import { formatPhaseTimings } from '../../../src/core/migration/phase-timings.js';
import { RUN_LOCK_TTL_TEST_ENV, runLockTtlFromEnv } from '../../../src/core/migration/run-lock-record.js';
import type { FleetMember } from '../../../src/core/migration/fleet-member.js';

/** The commands a hint tells to run, in order: what an operator (and the integration tests) run as printed. */
const commandsIn = (hint: string): string[] => [...hint.matchAll(/`(pgfleet [^`]+)`/g)].map((match) => match[1]!);

const member = (scope: string, name: string, managedHere = true): FleetMember => ({
  namespace: '/service/',
  scope,
  name,
  apiUrl: `http://10.0.0.7:8008/patroni`,
  role: 'replica',
  managedHere,
});

describe('what caused an enforce failure, and the fix that works for it', () => {
  it('a member of this host refused with the password its YAML holds, which is the tenant file one: etcd holds another (tenants apply), not the YAML (auth apply)', () => {
    const kind = classifyMemberFailure({
      logCause: 'authentication-failed',
      yamlDrift: undefined,
      local: true,
      tenantPasswordRefused: false,
      detail: 'refused',
    });
    assert.equal(kind, 'etcd-password-differs');
    assert.deepEqual(commandsIn(nextStepsHint([fixFor(kind, { subject: 'm', localInstance: 'alpha-1' })])), [
      'pgfleet etcd tenants apply',
      'pgfleet etcd auth enforce',
    ]);
  });

  it('a member of this host whose YAML holds another password: auth apply rewrites it', () => {
    const kind = classifyMemberFailure({
      logCause: 'authentication-failed',
      yamlDrift: 'its YAML holds a password other than the tenant one',
      local: true,
      tenantPasswordRefused: false,
      detail: 'refused',
    });
    assert.equal(kind, 'wrong-password-in-yaml');
    assert.deepEqual(commandsIn(nextStepsHint([fixFor(kind, { subject: 'm', localInstance: 'alpha-1' })])), [
      'pgfleet etcd auth apply',
      'pgfleet etcd auth enforce',
    ]);
  });

  it('a member elsewhere refused: the tenant probe of its cluster tells the two password causes apart', () => {
    const base = { logCause: 'authentication-failed' as const, yamlDrift: undefined, local: false, detail: 'refused' };
    assert.equal(classifyMemberFailure({ ...base, tenantPasswordRefused: true }), 'etcd-password-differs');
    assert.equal(classifyMemberFailure({ ...base, tenantPasswordRefused: false }), 'wrong-password-in-yaml');
    assert.match(
      fixFor('wrong-password-in-yaml', { subject: '/service/alpha/alpha-2', host: '10.0.0.7:8008' }).text,
      /on the host of \/service\/alpha\/alpha-2 \(10\.0\.0\.7:8008\): run `pgfleet etcd auth apply --host-only`/,
    );
  });

  it('no credentials, a role without the prefix, an unanswered probe, a refused REST API, TLS', () => {
    const base = { yamlDrift: undefined, local: true, tenantPasswordRefused: false, detail: '' };
    assert.equal(classifyMemberFailure({ ...base, logCause: 'no-credentials' }), 'no-credentials');
    assert.equal(classifyMemberFailure({ ...base, logCause: 'permission-denied' }), 'role-lacks-prefix');
    assert.equal(
      classifyMemberFailure({
        ...base,
        logCause: 'unknown',
        detail: 'its DCS write (PATCH /config) got no answer for 20 s',
      }),
      'unreachable',
    );
    assert.equal(
      classifyMemberFailure({ ...base, logCause: undefined, detail: 'the REST API refused pgfleet (401/403)' }),
      'rest-refused',
    );
    assert.equal(
      classifyMemberFailure({ ...base, logCause: undefined, detail: 'self-signed certificate in certificate chain' }),
      'tls',
    );
  });

  it('tenant probes: the file password refused, its own prefix denied, a key outside it reachable', () => {
    const ok = { ownPrefixOk: true, ownPrefixDetail: '', breaches: 0, errors: [] };
    assert.equal(
      classifyTenantFailure({ ...ok, ownPrefixOk: false, ownPrefixDetail: 'etcd refused its password: ...' }),
      'etcd-password-differs',
    );
    assert.equal(
      classifyTenantFailure({
        ...ok,
        ownPrefixOk: false,
        ownPrefixDetail: 'its own prefix: etcdserver: permission denied',
      }),
      'role-lacks-prefix',
    );
    assert.equal(classifyTenantFailure({ ...ok, breaches: 2 }), 'role-too-wide');
    assert.deepEqual(commandsIn(nextStepsHint([fixFor('role-too-wide', { subject: 'patroni-alpha', tenant: true })])), [
      'pgfleet etcd tenants apply',
      'pgfleet etcd auth enforce',
    ]);
  });

  it('one hint for several failures: each command once, in order, then enforce', () => {
    const hint = nextStepsHint([
      fixFor('etcd-password-differs', { subject: 'a', localInstance: 'a', user: 'patroni-alpha' }),
      fixFor('no-credentials', { subject: 'b', localInstance: 'b' }),
      fixFor('role-too-wide', { subject: 'patroni-alpha', tenant: true }),
      fixFor('unreachable', { subject: 'c', localInstance: 'beta-2' }),
    ]);
    assert.deepEqual(commandsIn(hint), [
      'pgfleet etcd tenants apply',
      'pgfleet etcd auth apply',
      'pgfleet instance start beta-2',
      'pgfleet etcd auth enforce',
    ]);
    assert.match(
      hint,
      /sets etcd's password of patroni-alpha from its password file, which the members' YAML holds; revokes/,
    );
  });

  it('a frozen view: restart its Patroni daemon by name, with its cluster paused around it, every step a command', () => {
    const fix = fixFor('frozen-view', { subject: '/service/alpha/alpha-1', localInstance: 'alpha-1' });
    assert.equal(fix.command, undefined, 'three steps, not one command to run blindly');
    assert.match(
      fix.text,
      /`patronictl pause alpha`, then `pgfleet instance restart alpha-1 --patroni`, then `patronictl resume alpha`/,
    );
  });

  it('a frozen view of a member not managed on this host: the same commands, to run on its host', () => {
    const fix = fixFor('frozen-view', { subject: '/service/beta/beta-2', host: '10.0.0.7' });
    assert.equal(fix.command, undefined);
    assert.match(
      fix.text,
      /^on the host of \/service\/beta\/beta-2 \(10\.0\.0\.7\): it serves a frozen view of the DCS/,
    );
    assert.match(
      fix.text,
      /`patronictl pause beta`, then `pgfleet instance restart beta-2 --patroni` \(with its instance name there; or however its Patroni daemon is restarted there\), then `patronictl resume beta`/,
    );
    const hint = nextStepsHint([fixFor('role-too-wide', { subject: 'patroni-alpha' }), fix]);
    assert.deepEqual(
      [...hint.matchAll(/`([^`]+)`/g)].map((match) => match[1]),
      [
        'pgfleet etcd tenants apply',
        'patronictl pause beta',
        'pgfleet instance restart beta-2 --patroni',
        'patronictl resume beta',
        'pgfleet etcd auth enforce',
      ],
      'the commands in the order they are to be run',
    );
  });

  it('TLS: each way the settings get it wrong names the setting at fault', () => {
    const files = { cacert: '/etc/pgfleet/ca.crt', cert: '/etc/pgfleet/c.crt', key: '/etc/pgfleet/c.key' };
    assert.match(
      etcdTlsFailure('etcd unreachable: https://e:2379: UNABLE_TO_VERIFY_LEAF_SIGNATURE', files, true)!.hint,
      /^set patroni\.etcd\.cacert \(\/etc\/pgfleet\/ca\.crt\)/,
    );
    assert.match(
      etcdTlsFailure('ERR_OSSL_X509_KEY_VALUES_MISMATCH', files, true)!.message,
      /cannot use its etcd client certificate and key/,
    );
    assert.match(
      etcdTlsFailure('etcd unreachable: https://e:2379: other side closed', {}, true)!.message,
      /pgfleet sent none \(patroni\.etcd\.cert is not set\)/,
    );
    assert.equal(etcdTlsFailure('etcd unreachable: http://e:2379: ECONNREFUSED', {}, false), undefined);
  });
});

describe('the gates name the fix as a command to run', () => {
  const fleet = (): GateInput => ({
    members: [member('alpha', 'alpha-1'), member('alpha', 'alpha-2')],
    tenantUsers: new Map([['/service/alpha', 'patroni-alpha']]),
    readiness: new Map(),
    unreachable: new Map([['/service/alpha/alpha-2', 'connect ECONNREFUSED']]),
    patroniVersions: new Map([['/service/alpha/alpha-1', '3.0.2']]),
    tokenType: 'simple',
    etcdVersions: ['3.4.23'],
    adminCredentialsWork: true,
    localInstanceNames: new Map([
      ['/service/alpha/alpha-1', 'alpha-1'],
      ['/service/alpha/alpha-2', 'alpha-2'],
    ]),
  });

  it('no readiness record and an unreachable member of this host: auth apply, instance start, then enforce', () => {
    const failures = evaluateEnforceGates(fleet());
    assert.deepEqual(commandsIn(gateRefusalHint(failures)), [
      'pgfleet etcd auth apply',
      'pgfleet instance start alpha-2',
      'pgfleet etcd auth enforce',
    ]);
    assert.match(gateRefusalHint(failures), /^nothing was changed; run/);
  });

  it('an unreachable member elsewhere: where, with no command of this host', () => {
    const input = fleet();
    input.members = [member('alpha', 'alpha-2', false)];
    input.localInstanceNames = new Map();
    const failure = evaluateEnforceGates(input).find((f) => f.gate === 'reachability')!;
    assert.match(failure.hint, /on the host of \/service\/alpha\/alpha-2 \(10\.0\.0\.7:8008\): bring its Patroni back/);
  });

  it('admin credentials refused by a TLS problem point at the TLS files, not at the password', () => {
    const input = fleet();
    input.unreachable = new Map();
    input.readiness = new Map();
    input.adminCredentialsWork = false;
    input.adminProblem = 'fetch failed: self-signed certificate in certificate chain';
    const admin = evaluateEnforceGates(input).find((f) => f.gate === 'admin')!;
    assert.match(admin.message, /^pgfleet cannot reach etcd over TLS/);
    assert.match(admin.hint, /patroni\.etcd\.cacert/);
    assert.doesNotMatch(admin.hint, /password_file/);
  });
});

describe('an interrupted run is finished the way its phase allows', () => {
  const state = (phase: EnforceState['phase']): EnforceState => ({
    id: 'r1',
    phase,
    coordinator: { host: 'h', pid: 7 },
    startedAt: 't',
    updatedAt: 't',
    pausedByUs: ['/service/alpha'],
    probes: [],
    failures: [],
    endpointsDown: [],
  });

  it('carried forward from resuming with auth on (every probe had passed)', () => {
    const recovery = recoveryOf(state('resuming'), true);
    assert.deepEqual(recovery, { kind: 'carry-forward', resume: ['/service/alpha'] });
    assert.match(describeRecovery(state('resuming'), recovery), /carried forward \(\/service\/alpha resumed/);
  });

  it('rolled back from any other phase, or when auth is off', () => {
    assert.equal(recoveryOf(state('probing'), true).kind, 'roll-back');
    assert.equal(recoveryOf(state('resuming'), false).kind, 'roll-back');
    assert.match(
      describeRecovery(state('probing'), recoveryOf(state('probing'), true)),
      /rolled back \(auth disabled, \/service\/alpha resumed\)/,
    );
  });
});

describe('figures that are true', () => {
  it('per-step wall clock with the total', () => {
    assert.equal(
      formatPhaseTimings([
        { step: 'gates', ms: 1234 },
        { step: 'probes', ms: 5400 },
        { step: 'resume', ms: 87 },
      ]),
      'gates 1.2 s, probes 5.4 s, resume 87 ms (total 6.7 s)',
    );
  });

  it('the run lock TTL for tests comes from its variable, whole seconds only', () => {
    assert.equal(runLockTtlFromEnv({}), undefined);
    assert.equal(runLockTtlFromEnv({ [RUN_LOCK_TTL_TEST_ENV]: '3' }), 3);
    assert.throws(() => runLockTtlFromEnv({ [RUN_LOCK_TTL_TEST_ENV]: '0.5' }), /whole seconds/);
  });
});
