import { ExitCode, PgfleetError } from '../errors.js';
import { PGFLEET_PREFIX } from './readiness-record.js';

/**
 * The run lock: one guarded run (etcd auth enforce/rollback, etcd tls
 * migrate, ...) at a time across every host. It is one etcd key attached to a
 * lease the coordinator keeps alive, so it disappears by itself once the
 * coordinator stops renewing it (killed, stopped, cut off). This file holds
 * what the key says and how to judge it; no I/O.
 */
export const RUN_LOCK_KEY = `${PGFLEET_PREFIX}locks/run`;

/**
 * Default lease TTL, Patroni's own default `ttl`: a coordinator is taken for
 * gone after as long as a leader is. 10 s was too short: securing 50
 * clusters on a 2-core machine, the authentication herd right after auth
 * enable starved etcd so that no renewal answered for 10 s and the run
 * stopped in its probes (bench/secure-fleet 50). A coordinator killed on
 * this host is not waited for (its lease is revoked); one on another host is,
 * at most this long.
 */
export const DEFAULT_RUN_LOCK_TTL_SECONDS = 30;

/**
 * FOR TESTS ONLY: the lease TTL (whole seconds) of the run lock a coordinator
 * takes, instead of the default, so that a test can stop a coordinator past
 * its TTL in seconds. etcd raises a TTL below its minimum (about 1.5 election
 * timeouts). Documented in the README (Development).
 */
export const RUN_LOCK_TTL_TEST_ENV = 'PGFLEET_TEST_RUN_LOCK_TTL_SECONDS';

/** The TTL the test variable asks for, or undefined; a value that is not a whole number of seconds (1-3600) is refused. */
export function runLockTtlFromEnv(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const raw = env[RUN_LOCK_TTL_TEST_ENV];
  if (raw === undefined || raw === '') return undefined;
  const seconds = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!(seconds >= 1 && seconds <= 3600))
    throw new PgfleetError('USAGE', `${RUN_LOCK_TTL_TEST_ENV}=${raw}: expected whole seconds from 1 to 3600`, {
      hint: `unset ${RUN_LOCK_TTL_TEST_ENV} (it is for tests only)`,
    });
  return seconds;
}

/** What the lock key holds: who runs what, for a refusal message and for `status`. No secret. */
export interface RunLockHolder {
  /** The kind of run: 'etcd-auth', 'etcd-tls', and the kinds later runs add. */
  kind: string;
  runId: string;
  host: string;
  pid: number;
  /** The run's phase, as the run names it; rewritten as the run goes on. */
  phase: string;
  /** When the lock was taken (ISO 8601). */
  since: string;
  /** When the holder record was last written (ISO 8601). */
  updatedAt: string;
  /** The lease TTL the holder asked for, in seconds. */
  ttlSeconds: number;
}

export function encodeRunLockHolder(holder: RunLockHolder): string {
  return JSON.stringify(holder);
}

export type ParsedRunLockHolder = { ok: true; holder: RunLockHolder } | { ok: false; reason: string };

/** Reads a holder record; a record that is not one is reported, never guessed (its key still holds the lock). */
export function parseRunLockHolder(text: string): ParsedRunLockHolder {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'the lock key does not hold JSON' };
  }
  if (!value || typeof value !== 'object' || Array.isArray(value))
    return { ok: false, reason: 'the lock key does not hold a JSON object' };
  const record = value as Record<string, unknown>;
  const strings = ['kind', 'runId', 'host', 'phase', 'since', 'updatedAt'] as const;
  for (const field of strings) {
    if (typeof record[field] !== 'string' || record[field] === '')
      return { ok: false, reason: `the lock record has no ${field}` };
  }
  for (const field of ['pid', 'ttlSeconds'] as const) {
    const number = record[field];
    if (typeof number !== 'number' || !Number.isInteger(number) || number <= 0)
      return { ok: false, reason: `the lock record has no valid ${field}` };
  }
  return {
    ok: true,
    holder: {
      kind: record.kind as string,
      runId: record.runId as string,
      host: record.host as string,
      pid: record.pid as number,
      phase: record.phase as string,
      since: record.since as string,
      updatedAt: record.updatedAt as string,
      ttlSeconds: record.ttlSeconds as number,
    },
  };
}

/** A holder as a person reads it: "etcd-auth run r-1 (phase probing) by pid 4242 on db-admin-1, since ... (2 min 5 s ago)". */
export function describeRunLockHolder(holder: RunLockHolder, now: Date): string {
  return `${holder.kind} run ${holder.runId} (phase ${holder.phase}) by pid ${holder.pid} on ${holder.host}, since ${holder.since}${agoSuffix(holder.since, now)}`;
}

function agoSuffix(iso: string, now: Date): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '';
  const seconds = Math.round((now.getTime() - at) / 1000);
  // Clocks of two hosts differ: a holder "in the future" says nothing useful about its age.
  if (seconds < 0) return '';
  return ` (${formatSeconds(seconds)} ago)`;
}

function formatSeconds(total: number): string {
  if (total < 60) return `${total} s`;
  const minutes = Math.floor(total / 60);
  if (minutes < 60) return `${minutes} min ${total % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** The run lock as `status` shows it (read live): its holder and how long its lease has left unless renewed. */
export interface RunLockView {
  holder: RunLockHolder | undefined;
  unreadableReason?: string | undefined;
  leaseTtlSeconds: number;
}

/** `held by etcd-auth-enforce run r-1 (phase probing) by pid 42 on db-1, since ... (12 s ago); its lease has 8 s left`, or free. */
export function describeRunLock(lock: RunLockView | undefined, now: Date): string {
  if (!lock) return 'free: no pgfleet run is going on';
  const who = lock.holder
    ? describeRunLockHolder(lock.holder, now)
    : `a holder whose record cannot be read (${lock.unreadableReason ?? 'unknown record'})`;
  return `held by ${who}; its lease has ${lock.leaseTtlSeconds} s left unless renewed`;
}

/**
 * The lock taken by someone else: exit "busy", nothing changed. The holder is
 * undefined when its record could not be read (the lock still holds).
 */
export function runBusyError(
  held: { holder: RunLockHolder | undefined; unreadableReason?: string | undefined; leaseless?: boolean },
  now: Date,
): PgfleetError {
  const who = held.holder
    ? describeRunLockHolder(held.holder, now)
    : `a holder whose record cannot be read (${held.unreadableReason ?? 'unknown record'})`;
  const ttl = held.holder ? `${held.holder.ttlSeconds} s` : 'its lease TTL';
  // A key put by hand, without a lease, never expires: saying "wait" would loop for ever.
  const hint = held.leaseless
    ? `the lock key has no lease (it was not written by a pgfleet run) and will never expire: once sure no run is active, delete ${RUN_LOCK_KEY} as etcd's root user`
    : `wait for it to finish and run again; if its coordinator was killed or stopped, the lock expires by itself ${ttl} after its last renewal`;
  return new PgfleetError('RUN_BUSY', `another pgfleet run holds the run lock (${RUN_LOCK_KEY}): ${who}`, {
    exitCode: ExitCode.busy,
    hint,
    details: {
      lockKey: RUN_LOCK_KEY,
      ...(held.holder ? { holder: held.holder } : { unreadableReason: held.unreadableReason }),
      ...(held.leaseless ? { leaseless: true } : {}),
    },
  });
}

/** Why a held lock was found lost. */
export type RunLockLossReason = 'lease-expired' | 'lock-key-gone' | 'lock-taken-over' | 'renewal-deadline-passed';

const LOSS_TEXT: Record<RunLockLossReason, string> = {
  'lease-expired':
    'its lease expired in etcd (the coordinator did not renew it in time: stopped, suspended or cut off from etcd)',
  'lock-key-gone': 'the lock key is gone (its lease expired or was revoked)',
  'lock-taken-over': 'the lock key now belongs to another run',
  'renewal-deadline-passed':
    'no renewal reached etcd before the lease TTL ran out, so another coordinator may hold it now',
};

/** The run lost its lock: it must stop without acting; whoever took over carries the fleet on. */
export function runLockLostError(
  holder: Pick<RunLockHolder, 'kind' | 'runId' | 'phase'>,
  reason: RunLockLossReason,
  takenOverBy: RunLockHolder | undefined,
  now: Date,
): PgfleetError {
  const by = takenOverBy ? ` (now held by ${describeRunLockHolder(takenOverBy, now)})` : '';
  return new PgfleetError(
    'RUN_LOCK_LOST',
    `${holder.kind} run ${holder.runId} lost the run lock in phase ${holder.phase}: ${LOSS_TEXT[reason]}${by}; it stops without changing anything more`,
    {
      exitCode: ExitCode.failed,
      hint: 'another coordinator may have taken over: `pgfleet etcd auth status` (or `pgfleet etcd tls status`) shows the run holding the lock and the state of the fleet',
      details: {
        lockKey: RUN_LOCK_KEY,
        runId: holder.runId,
        kind: holder.kind,
        phase: holder.phase,
        reason,
        ...(takenOverBy ? { takenOverBy } : {}),
      },
    },
  );
}

/**
 * Whether a lease is still alive from a TTL etcd answered: a keepalive for a
 * lease etcd no longer knows answers TTL 0 (through the gateway: no TTL field),
 * time-to-live answers -1.
 */
export function isLeaseAlive(ttlSeconds: number): boolean {
  return ttlSeconds > 0;
}

/**
 * Until when this process may consider the lock its own: the TTL etcd granted
 * on a renewal counts from when the renewal was SENT (etcd may have applied
 * it at any time after that), never from when the answer came back.
 */
export function renewalDeadline(sentAtMs: number, ttlSeconds: number): number {
  return sentAtMs + ttlSeconds * 1000;
}

/** A renewal every third of the TTL: two can fail before the lease runs out. */
export function keepAliveIntervalMs(ttlSeconds: number): number {
  return Math.max(250, Math.floor((ttlSeconds * 1000) / 3));
}

/**
 * A run recorded as not finished, judged against the run lock: its
 * coordinator is alive only while the lock holds its run id. A run is
 * "interrupted" (another run may take over) only once the lock is gone, i.e.
 * its lease expired.
 */
export type RecordedRunStanding =
  | { standing: 'running'; holder: RunLockHolder }
  | { standing: 'interrupted' }
  | { standing: 'other-run-holds-lock'; holder: RunLockHolder | undefined };

export function judgeRecordedRun(
  recordedRunId: string,
  lock: { holder: RunLockHolder | undefined } | undefined,
): RecordedRunStanding {
  if (!lock) return { standing: 'interrupted' };
  if (lock.holder?.runId === recordedRunId) return { standing: 'running', holder: lock.holder };
  return { standing: 'other-run-holds-lock', holder: lock.holder };
}

/**
 * What a coordinator refused with RUN_BUSY may do about the holder:
 * - `revoke`: the holder ran on this host and its process is gone (killed), so its lease only outlives it by the TTL;
 * - `wait`: the holder missed a renewal (renewals come every third of the TTL, so a live holder's lease never drops to
 *   half of it): wait for the lease to expire, then take the lock;
 * - `busy`: a live coordinator holds it.
 */
export type StaleHolderAction = { kind: 'revoke' } | { kind: 'wait'; ms: number } | { kind: 'busy' };

export function staleHolderAction(
  held: { holder: RunLockHolder | undefined; leaseTtlSeconds: number },
  here: { host: string; pidAlive: (pid: number) => boolean },
): StaleHolderAction {
  const holder = held.holder;
  if (!holder) return { kind: 'busy' };
  if (holder.host === here.host && !here.pidAlive(holder.pid)) return { kind: 'revoke' };
  if (held.leaseTtlSeconds > 0 && held.leaseTtlSeconds <= holder.ttlSeconds / 2)
    return { kind: 'wait', ms: (held.leaseTtlSeconds + 1) * 1000 };
  return { kind: 'busy' };
}
