import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ExitCode } from '../../../src/core/errors.js';
import {
  RUN_LOCK_KEY,
  type RunLockHolder,
  describeRunLockHolder,
  encodeRunLockHolder,
  isLeaseAlive,
  judgeRecordedRun,
  keepAliveIntervalMs,
  parseRunLockHolder,
  renewalDeadline,
  runBusyError,
  runLockLostError,
  staleHolderAction,
} from '../../../src/core/migration/run-lock-record.js';

const holder: RunLockHolder = {
  kind: 'etcd-auth',
  runId: 'r-7f3a',
  host: 'db-admin-1',
  pid: 4242,
  phase: 'probing',
  since: '2026-12-07T10:00:00.000Z',
  updatedAt: '2026-12-07T10:00:05.000Z',
  ttlSeconds: 10,
};

describe('the run lock record', () => {
  it('lives under pgfleet’s own prefix, which only root can read once auth is on', () => {
    assert.equal(RUN_LOCK_KEY, '/pgfleet/locks/run');
  });

  it('reads back what it wrote', () => {
    assert.deepEqual(parseRunLockHolder(encodeRunLockHolder(holder)), { ok: true, holder });
  });

  it('reports a record that is not one instead of guessing a holder', () => {
    assert.deepEqual(parseRunLockHolder('not json'), { ok: false, reason: 'the lock key does not hold JSON' });
    assert.deepEqual(parseRunLockHolder('[1]'), { ok: false, reason: 'the lock key does not hold a JSON object' });
    assert.deepEqual(parseRunLockHolder(JSON.stringify({ ...holder, runId: '' })), {
      ok: false,
      reason: 'the lock record has no runId',
    });
    assert.deepEqual(parseRunLockHolder(JSON.stringify({ ...holder, pid: '4242' })), {
      ok: false,
      reason: 'the lock record has no valid pid',
    });
  });

  it('describes a holder by kind, run id, phase, pid, host and since when, with its age', () => {
    assert.equal(
      describeRunLockHolder(holder, new Date('2026-12-07T10:02:05.000Z')),
      'etcd-auth run r-7f3a (phase probing) by pid 4242 on db-admin-1, since 2026-12-07T10:00:00.000Z (2 min 5 s ago)',
    );
  });

  it('gives no age for a holder whose clock is ahead of ours', () => {
    assert.equal(
      describeRunLockHolder(holder, new Date('2026-12-07T09:59:00.000Z')).endsWith('since 2026-12-07T10:00:00.000Z'),
      true,
    );
  });
});

describe('refusing a second coordinator', () => {
  it('exits busy, names the holder, and says the lock expires by itself if its coordinator died', () => {
    const error = runBusyError({ holder }, new Date('2026-12-07T10:00:30.000Z'));
    assert.equal(error.code, 'RUN_BUSY');
    assert.equal(error.exitCode, ExitCode.busy);
    assert.equal(
      error.message,
      'another pgfleet run holds the run lock (/pgfleet/locks/run): etcd-auth run r-7f3a (phase probing) by pid 4242 on db-admin-1, since 2026-12-07T10:00:00.000Z (30 s ago)',
    );
    assert.match(error.hint!, /expires by itself 10 s after its last renewal/);
    assert.deepEqual(error.details, { lockKey: RUN_LOCK_KEY, holder });
  });

  it('still refuses when the holder record cannot be read, saying why', () => {
    const error = runBusyError({ holder: undefined, unreadableReason: 'the lock key does not hold JSON' }, new Date());
    assert.equal(error.exitCode, ExitCode.busy);
    assert.match(error.message, /a holder whose record cannot be read \(the lock key does not hold JSON\)/);
  });

  it('a lock key without a lease never expires: the hint says to delete it rather than to wait', () => {
    const error = runBusyError({ holder, leaseless: true }, new Date());
    assert.equal(error.exitCode, ExitCode.busy);
    assert.match(error.hint!, /will never expire.*delete \/pgfleet\/locks\/run/);
  });

  it('busy is a code of its own, next after failed', () => {
    assert.equal(ExitCode.busy, 5);
    assert.equal(new Set(Object.values(ExitCode)).size, Object.keys(ExitCode).length);
  });
});

describe('a lost lock', () => {
  it('names the run, its phase, why it was lost and who holds the lock now', () => {
    const next = { ...holder, runId: 'r-99', pid: 77, phase: 'preflight' };
    const error = runLockLostError(holder, 'lock-taken-over', next, new Date('2026-12-07T10:00:00.000Z'));
    assert.equal(error.code, 'RUN_LOCK_LOST');
    assert.equal(error.exitCode, ExitCode.failed);
    assert.match(
      error.message,
      /^etcd-auth run r-7f3a lost the run lock in phase probing: the lock key now belongs to another run \(now held by etcd-auth run r-99 \(phase preflight\) by pid 77 on db-admin-1/,
    );
    assert.match(error.message, /it stops without changing anything more$/);
    assert.equal(error.details?.reason, 'lock-taken-over');
  });
});

describe('judging the lease', () => {
  it('a lease etcd no longer knows answers TTL 0 on keepalive and -1 on time-to-live: both are dead', () => {
    assert.equal(isLeaseAlive(10), true);
    assert.equal(isLeaseAlive(1), true);
    assert.equal(isLeaseAlive(0), false);
    assert.equal(isLeaseAlive(-1), false);
  });

  it('the TTL of a renewal counts from when it was sent', () => {
    assert.equal(renewalDeadline(1_000_000, 10), 1_010_000);
  });

  it('renews three times per TTL, and never in a busy loop', () => {
    assert.equal(keepAliveIntervalMs(10), 3333);
    assert.equal(keepAliveIntervalMs(2), 666);
    assert.equal(keepAliveIntervalMs(0), 250);
  });

  it('a recorded run is interrupted only once no lock is held; while its own run id holds it, it runs', () => {
    assert.deepEqual(judgeRecordedRun('r-7f3a', undefined), { standing: 'interrupted' });
    assert.deepEqual(judgeRecordedRun('r-7f3a', { holder }), { standing: 'running', holder });
    assert.deepEqual(judgeRecordedRun('r-old', { holder }), { standing: 'other-run-holds-lock', holder });
    assert.deepEqual(judgeRecordedRun('r-old', { holder: undefined }), {
      standing: 'other-run-holds-lock',
      holder: undefined,
    });
  });
});

describe('a coordinator refused because the lock is held', () => {
  const here = (alive: boolean) => ({ host: 'db-admin-1', pidAlive: () => alive });

  it('revokes the lease of a holder that ran on this host and whose process is gone (killed)', () => {
    assert.deepEqual(staleHolderAction({ holder, leaseTtlSeconds: 9 }, here(false)), { kind: 'revoke' });
  });

  it('waits out a holder that missed a renewal (its lease below half its TTL), then takes the lock', () => {
    assert.deepEqual(staleHolderAction({ holder: { ...holder, host: 'db-admin-2' }, leaseTtlSeconds: 4 }, here(true)), {
      kind: 'wait',
      ms: 5000,
    });
  });

  it('stays busy for a live holder: on another host renewing, or on this host with its process alive', () => {
    assert.deepEqual(staleHolderAction({ holder: { ...holder, host: 'db-admin-2' }, leaseTtlSeconds: 8 }, here(true)), {
      kind: 'busy',
    });
    assert.deepEqual(staleHolderAction({ holder, leaseTtlSeconds: 8 }, here(true)), { kind: 'busy' });
  });

  it('stays busy when the holder record cannot be read, rather than guess who holds it', () => {
    assert.deepEqual(staleHolderAction({ holder: undefined, leaseTtlSeconds: 1 }, here(false)), { kind: 'busy' });
  });
});
