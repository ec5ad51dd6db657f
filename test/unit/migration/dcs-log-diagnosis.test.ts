import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeDcsLogCause, diagnoseDcsLog } from '../../../src/core/migration/dcs-log-diagnosis.js';

describe('DCS failure cause from a Patroni 3.0.2 log', () => {
  it('names a wrong password', () => {
    const lines = ['INFO: no action. I am (alpha-1), the leader', "CRITICAL: Etcd3 authentication failed: AuthFailed('etcdserver: authentication failed, invalid user ID or password')"];
    assert.equal(diagnoseDcsLog(lines), 'authentication-failed');
    assert.match(describeDcsLogCause('authentication-failed', '/service/alpha/alpha-1')!, /authentication failed for \/service\/alpha\/alpha-1/);
  });

  it('names missing credentials', () => {
    assert.equal(diagnoseDcsLog(['CRITICAL: Username or password not set, authentication is not possible']), 'no-credentials');
    assert.equal(diagnoseDcsLog(["ERROR: Failed to update /service/a/config: UserEmpty('etcdserver: user name is empty')"]), 'no-credentials');
  });

  it('takes the most recent cause and says nothing when the log has none', () => {
    assert.equal(diagnoseDcsLog(['authentication failed', 'later: permission denied']), 'permission-denied');
    assert.equal(diagnoseDcsLog(['INFO: all good']), 'unknown');
    assert.equal(describeDcsLogCause('unknown', 'm'), undefined);
  });
});
