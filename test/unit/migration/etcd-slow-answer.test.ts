import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyMemberFailure, fixFor } from '../../../src/core/migration/enforce-failure.js';
import { ETCD_TOO_SLOW, probeAnswerBudgetMs } from '../../../src/core/migration/dcs-write-probe.js';
import { etcdSlowInLog } from '../../../src/core/migration/dcs-log-diagnosis.js';
import { pauseWindowsOf, summarizePauseWindows } from '../../../src/core/migration/pause-window.js';

describe('a slow etcd is kept apart from a refused credential', () => {
  it('a probe that only met timeouts is etcd too slow, even when the log also says "user name is empty" (logged once by every member when auth goes on)', () => {
    const kind = classifyMemberFailure({
      logCause: 'no-credentials',
      yamlDrift: undefined,
      local: true,
      tenantPasswordRefused: false,
      detail: `${ETCD_TOO_SLOW}: the DCS write of alpha-1 (PATCH /config) got no answer for 35 s`,
    });
    assert.equal(kind, 'etcd-slow');
  });

  it('a refused write with "authentication failed" in the log stays a credential problem', () => {
    const kind = classifyMemberFailure({
      logCause: 'authentication-failed',
      yamlDrift: 'password',
      local: true,
      tenantPasswordRefused: false,
      detail: 'its DCS write (PATCH /config) was refused (HTTP 409) 4 times',
    });
    assert.equal(kind, 'wrong-password-in-yaml');
  });

  it('the fix for a slow etcd names no command that changes the member, and says its credentials are not at fault', () => {
    const fix = fixFor('etcd-slow', { subject: '/service/alpha/alpha-1', localInstance: 'alpha-1' });
    assert.equal(fix.command, undefined);
    assert.match(fix.text, /too slow/);
    assert.match(fix.text, /nothing is wrong with its credentials/);
  });

  it("reads Patroni 3.0.2's timeouts talking to etcd as slowness, and a refusal as none", () => {
    assert.equal(etcdSlowInLog(['2026-12-07 ERROR: Exceeded retry deadline']), true);
    assert.equal(etcdSlowInLog(['urllib3 ReadTimeoutError: Read timed out. (read timeout=3.33)']), true);
    assert.equal(etcdSlowInLog(['etcdserver: authentication failed, invalid user ID or password']), false);
  });

  it('waits longer for the answers of a larger fleet (the herd of authentications grows with it)', () => {
    assert.equal(probeAnswerBudgetMs(4), 20_600);
    assert.ok(probeAnswerBudgetMs(100) > probeAnswerBudgetMs(20));
  });
});

describe('pause windows', () => {
  it('times each cluster from its pause to its resume, leaving out clusters never resumed', () => {
    const windows = pauseWindowsOf(
      new Map([
        ['/service/beta', 1_000],
        ['/service/alpha', 1_100],
        ['/service/gamma', 1_200],
      ]),
      new Map([
        ['/service/alpha', 4_100],
        ['/service/beta', 5_000],
      ]),
    );
    assert.deepEqual(windows, [
      { cluster: '/service/alpha', ms: 3_000 },
      { cluster: '/service/beta', ms: 4_000 },
    ]);
    assert.deepEqual(summarizePauseWindows(windows), { maxMs: 4_000, medianMs: 3_500 });
    assert.deepEqual(summarizePauseWindows([]), { maxMs: 0, medianMs: 0 });
  });
});
