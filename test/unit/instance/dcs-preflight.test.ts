import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diagnosePreflight, type PreflightInput } from '../../../src/core/instance/dcs-preflight.js';
import { prefixRange } from '../../../src/core/etcd/key-range.js';

const base: PreflightInput = { namespace: '/service/', scope: 'alpha', username: 'patroni-alpha', authEnabled: true };
const ids = (input: PreflightInput) => diagnosePreflight(input).checks.map((check) => `${check.id}:${check.status}`);

describe('DCS pre-flight diagnosis', () => {
  it('passes when auth is on and the probe with the instance credentials succeeded', () => {
    const report = diagnosePreflight({ ...base, probe: { kind: 'ok' } });
    assert.equal(report.ok, true);
    assert.deepEqual(ids({ ...base, probe: { kind: 'ok' } }), ['probe:pass']);
  });

  it('fails on a wrong password, naming the user and pointing at the password file', () => {
    const report = diagnosePreflight({ ...base, probe: { kind: 'authentication-failed' } });
    assert.equal(report.ok, false);
    assert.match(report.checks[0]!.message, /patroni-alpha.*authentication failed/);
    assert.match(report.checks[0]!.hint!, /password-file/);
  });

  it('fails when the role lacks the cluster prefix, saying which operation was denied', () => {
    const report = diagnosePreflight({ ...base, probe: { kind: 'permission-denied', step: 'put' } });
    assert.equal(report.ok, false);
    assert.match(report.checks[0]!.message, /denied the PUT.*\/service\/alpha\//);
  });

  it('fails when auth is on and the instance has no etcd user at all', () => {
    const report = diagnosePreflight({ ...base, username: undefined });
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.checks.map((c) => c.id),
      ['credentials-missing'],
    );
  });

  it('only warns, with auth off, that the password cannot be verified yet', () => {
    const report = diagnosePreflight({
      ...base,
      authEnabled: false,
      admin: { userExists: true, writableRanges: [prefixRange('/service/alpha/')], holdsRoot: false },
    });
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.checks.map((c) => `${c.id}:${c.status}`),
      ['password-unverifiable:warn'],
    );
  });

  it('fails, with auth off, when the admin view shows the user does not exist', () => {
    const report = diagnosePreflight({
      ...base,
      authEnabled: false,
      admin: { userExists: false, writableRanges: [], holdsRoot: false },
    });
    assert.equal(report.ok, false);
    assert.equal(report.checks[0]!.id, 'user-unknown');
  });

  it("fails when the user has a role on another cluster's prefix only", () => {
    const report = diagnosePreflight({
      ...base,
      authEnabled: false,
      admin: { userExists: true, writableRanges: [prefixRange('/service/beta/')], holdsRoot: false },
    });
    assert.equal(report.ok, false);
    assert.equal(report.checks[0]!.id, 'range-missing');
  });

  it('warns that a grant without the trailing slash is wider than the cluster (it covers alpha2 too)', () => {
    const report = diagnosePreflight({
      ...base,
      authEnabled: false,
      admin: { userExists: true, writableRanges: [prefixRange('/service/alpha')], holdsRoot: false },
    });
    assert.equal(report.ok, true);
    const tooWide = report.checks.find((c) => c.id === 'range-too-wide');
    assert.ok(tooWide);
    assert.match(tooWide.message, /\[\/service\/alpha, \/service\/alphb\)/);
  });

  it('warns when the instance would use a user holding root', () => {
    const report = diagnosePreflight({
      ...base,
      probe: { kind: 'ok' },
      admin: { userExists: true, writableRanges: [], holdsRoot: true },
    });
    assert.ok(report.checks.some((c) => c.id === 'user-is-root' && c.status === 'warn'));
    assert.equal(report.ok, true);
  });
});
