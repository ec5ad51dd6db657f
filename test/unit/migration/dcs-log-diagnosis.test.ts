import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  definiteDcsRefusal,
  describeDcsLogCause,
  diagnoseDcsLog,
} from '../../../src/core/migration/dcs-log-diagnosis.js';

describe('DCS failure cause from a Patroni 3.0.2 log', () => {
  it('names a wrong password', () => {
    const lines = [
      'INFO: no action. I am (alpha-1), the leader',
      "CRITICAL: Etcd3 authentication failed: AuthFailed('etcdserver: authentication failed, invalid user ID or password')",
    ];
    assert.equal(diagnoseDcsLog(lines), 'authentication-failed');
    assert.match(
      describeDcsLogCause('authentication-failed', '/service/alpha/alpha-1')!,
      /authentication failed for \/service\/alpha\/alpha-1/,
    );
  });

  it('names missing credentials', () => {
    assert.equal(
      diagnoseDcsLog(['CRITICAL: Username or password not set, authentication is not possible']),
      'no-credentials',
    );
    assert.equal(
      diagnoseDcsLog(["ERROR: Failed to update /service/a/config: UserEmpty('etcdserver: user name is empty')"]),
      'no-credentials',
    );
  });

  it('takes the most recent cause and says nothing when the log has none', () => {
    assert.equal(diagnoseDcsLog(['authentication failed', 'later: permission denied']), 'permission-denied');
    assert.equal(diagnoseDcsLog(['INFO: all good']), 'unknown');
    assert.equal(describeDcsLogCause('unknown', 'm'), undefined);
  });
});

describe('a refusal a Patroni 3.0.2 log names beyond doubt (fails the write probe at once)', () => {
  it('names a wrong password, missing credentials and a role without the prefix', () => {
    assert.equal(
      definiteDcsRefusal([
        "CRITICAL: Etcd3 authentication failed: AuthFailed('etcdserver: authentication failed, invalid user ID or password')",
      ]),
      'authentication-failed',
    );
    assert.equal(
      definiteDcsRefusal(['CRITICAL: Username or password not set, authentication is not possible']),
      'no-credentials',
    );
    assert.equal(
      definiteDcsRefusal([
        "ERROR: Failed to update /service/a/config: PermissionDenied('etcdserver: permission denied')",
      ]),
      'permission-denied',
    );
  });

  it('does not take "user name is empty" as a refusal: a member with credentials logs it once when auth is switched on under it', () => {
    assert.equal(
      definiteDcsRefusal([
        "ERROR: Failed to update /service/a/config: UserEmpty('etcdserver: user name is empty')",
        'INFO: Trying to authenticate on Etcd...',
      ]),
      undefined,
    );
  });

  it('says nothing of a transient etcd error', () => {
    assert.equal(definiteDcsRefusal(['ERROR: Failed to update /service/a/config: Exceeded retry deadline']), undefined);
  });
});
