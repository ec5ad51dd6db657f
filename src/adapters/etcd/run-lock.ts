import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError } from '../../core/errors.js';
import {
  DEFAULT_RUN_LOCK_TTL_SECONDS,
  RUN_LOCK_KEY,
  type RunLockHolder,
  type RunLockLossReason,
  encodeRunLockHolder,
  isLeaseAlive,
  keepAliveIntervalMs,
  parseRunLockHolder,
  renewalDeadline,
  runBusyError,
  runLockLostError,
  staleHolderAction,
} from '../../core/migration/run-lock-record.js';
import { processAlive } from '../process/process-alive.js';
import type { EtcdClient, KeyValue, TxnCompare, TxnOperation } from './etcd-client.js';
import { thisHostName } from '../process/host-name.js';

export interface RunLockRequest {
  /** The kind of run: 'etcd-auth', 'etcd-tls', ... */
  kind: string;
  runId: string;
  /** The run's first phase. */
  phase: string;
  /** Defaults to this host's name. */
  host?: string;
  /** Defaults to this process. */
  pid?: number;
  /** Lease TTL in seconds (etcd may grant more: its minimum is about 1.5 election timeouts). */
  ttlSeconds?: number;
  /** Called once when the lock is found lost, by the renewal loop or a fenced write. */
  onLost?: (error: PgfleetError) => void;
}

/** The lock as `status` shows it: the holder record, or why it cannot be read, and its lease. */
export interface HeldRunLock {
  holder: RunLockHolder | undefined;
  unreadableReason: string | undefined;
  leaseId: string;
  createRevision: number;
  /** Seconds left before the lease expires unless renewed. */
  leaseTtlSeconds: number;
}

/** What release did: revoked the lease, found it already gone, or could not reach etcd (the lease then expires by itself). */
export type RunLockRelease = 'released' | 'already-gone' | 'expires-by-itself';

/**
 * The one way a run takes the run lock: takes it (over a stale holder, see
 * below), runs `run` while holding it (renewed in the background) and
 * releases it however `run` ends. Throws RUN_BUSY (exit "busy") when a live
 * coordinator holds it. `run` writes its state through `lock.fence(...)`, so
 * a run that lost its lock cannot write any more.
 */
export async function withRunLock<T>(
  client: EtcdClient,
  request: RunLockRequest,
  run: (lock: RunLock) => Promise<T>,
): Promise<T> {
  const lock = await acquireOverStaleHolder(client, request);
  try {
    return await run(lock);
  } finally {
    await lock.release();
  }
}

/**
 * Acquires the lock; refused, clears a stale holder and tries once more.
 * Only the acquisition is retried, never the run.
 */
async function acquireOverStaleHolder(client: EtcdClient, request: RunLockRequest): Promise<RunLock> {
  try {
    return await acquireRunLock(client, request);
  } catch (error) {
    if (!(error instanceof PgfleetError && error.code === 'RUN_BUSY') || !(await clearStaleHolder(client))) throw error;
    return acquireRunLock(client, request);
  }
}

/**
 * A coordinator killed on this host leaves its lease for up to its TTL; one
 * on another host that stopped renewing is waited out. Returns whether the
 * lock is free to take again; a live holder keeps it.
 */
async function clearStaleHolder(client: EtcdClient): Promise<boolean> {
  const held = await readRunLock(client);
  if (!held) return true;
  const action = staleHolderAction(held, { host: thisHostName(), pidAlive: processAlive });
  if (action.kind === 'revoke') await client.leaseRevoke(held.leaseId);
  else if (action.kind === 'wait') await sleep(action.ms);
  return action.kind !== 'busy';
}

/**
 * Grants a lease and creates the lock key on it in one transaction that only
 * succeeds when the key does not exist; otherwise reads the holder, gives the
 * lease back and throws RUN_BUSY.
 */
export async function acquireRunLock(client: EtcdClient, request: RunLockRequest): Promise<RunLock> {
  // Counted from before the grant: etcd started the TTL at some point after this.
  const grantedAt = Date.now();
  const lease = await client.leaseGrant(request.ttlSeconds ?? DEFAULT_RUN_LOCK_TTL_SECONDS);
  const now = new Date().toISOString();
  const holder: RunLockHolder = {
    kind: request.kind,
    runId: request.runId,
    host: request.host ?? thisHostName(),
    pid: request.pid ?? process.pid,
    phase: request.phase,
    since: now,
    updatedAt: now,
    ttlSeconds: lease.ttlSeconds,
  };
  let result;
  try {
    result = await client.txn({
      compare: [{ key: RUN_LOCK_KEY, target: 'createRevision', value: 0 }],
      success: [{ put: { key: RUN_LOCK_KEY, value: encodeRunLockHolder(holder), lease: lease.id } }],
      failure: [{ get: { key: RUN_LOCK_KEY } }],
    });
  } catch (error) {
    // The put may have happened with its answer lost: revoking the lease deletes the key with it.
    await client.leaseRevoke(lease.id).catch(() => undefined);
    throw error;
  }
  if (!result.succeeded) {
    await client.leaseRevoke(lease.id).catch(() => undefined);
    const current = result.responses[0]?.kind === 'get' ? result.responses[0].kvs[0] : undefined;
    throw runBusyError(
      current
        ? { ...readHolder(current), leaseless: current.lease === undefined || current.lease === '0' }
        : { holder: undefined, unreadableReason: 'the lock key vanished while it was read' },
      new Date(),
    );
  }
  return new RunLock(
    client,
    holder,
    lease.id,
    result.revision,
    renewalDeadline(grantedAt, lease.ttlSeconds),
    request.onLost,
  );
}

/** The run lock as it is in etcd now, or undefined when no run holds it. Needs the admin client once auth is on. */
export async function readRunLock(client: EtcdClient): Promise<HeldRunLock | undefined> {
  const kv = await client.get(RUN_LOCK_KEY);
  if (!kv) return undefined;
  const leaseId = kv.lease ?? '0';
  const ttl = leaseId === '0' ? undefined : await client.leaseTimeToLive(leaseId);
  // A lease that expired between the two reads took the key with it.
  if (leaseId !== '0' && !ttl) return undefined;
  return { ...readHolder(kv), leaseId, createRevision: kv.createRevision, leaseTtlSeconds: ttl?.ttlSeconds ?? 0 };
}

function readHolder(kv: KeyValue): { holder: RunLockHolder | undefined; unreadableReason: string | undefined } {
  const parsed = parseRunLockHolder(kv.value);
  return parsed.ok
    ? { holder: parsed.holder, unreadableReason: undefined }
    : { holder: undefined, unreadableReason: parsed.reason };
}

/** After a failed renewal, try again sooner than the regular interval. */
const RETRY_AFTER_FAILURE_MS = 500;

/**
 * A held run lock. Renews its lease every third of the TTL until released;
 * it turns lost (once, for good) when etcd no longer knows the lease, when
 * the lock key is gone or belongs to someone else, or when no renewal reached
 * etcd before the TTL ran out. Once lost, `signal` is aborted, `onLost` is
 * called and every fenced write throws RUN_LOCK_LOST.
 */
export class RunLock {
  readonly key = RUN_LOCK_KEY;
  readonly leaseId: string;
  /** The revision that created the lock key: a later holder's key always has another one. */
  readonly createRevision: number;
  readonly #client: EtcdClient;
  readonly #onLost: ((error: PgfleetError) => void) | undefined;
  readonly #abort = new AbortController();
  #holder: RunLockHolder;
  #deadline: number;
  #lostError: PgfleetError | undefined;
  #released = false;
  #timer: NodeJS.Timeout | undefined;
  #renewal: Promise<void> | undefined;

  constructor(
    client: EtcdClient,
    holder: RunLockHolder,
    leaseId: string,
    createRevision: number,
    deadline: number,
    onLost: ((error: PgfleetError) => void) | undefined,
  ) {
    this.#client = client;
    this.#holder = holder;
    this.leaseId = leaseId;
    this.createRevision = createRevision;
    this.#deadline = deadline;
    this.#onLost = onLost;
    this.#schedule(keepAliveIntervalMs(holder.ttlSeconds));
  }

  get holder(): RunLockHolder {
    return { ...this.#holder };
  }

  get lost(): boolean {
    return this.#lostError !== undefined;
  }

  /** Aborted, with the RUN_LOCK_LOST error as its reason, when the lock is lost: for waits the run should cut short. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  /**
   * Throws RUN_LOCK_LOST unless the lock is still held as far as this process
   * knows (not found lost, and the last renewal's TTL not run out). Cheap:
   * no call to etcd. Before an action outside etcd's key space that must not
   * run twice, prefer `confirm()`.
   */
  assertHeld(): void {
    if (!this.#lostError && Date.now() >= this.#deadline) this.#lose('renewal-deadline-passed');
    if (this.#lostError) throw this.#lostError;
  }

  /** Asks etcd whether the lock key is still ours; throws RUN_LOCK_LOST when not. */
  async confirm(): Promise<void> {
    await this.#fencedTxn([]);
  }

  /** Writes `key` only if the lock key still exists on our lease; else the lock turns lost and this throws RUN_LOCK_LOST. Returns the revision. */
  async fence(key: string, value: string): Promise<number> {
    return this.#fencedTxn([{ put: { key, value } }]);
  }

  /** Deletes `key` (or every key under it) under the same condition as `fence`. */
  async fenceDelete(key: string, options: { prefix?: boolean } = {}): Promise<number> {
    return this.#fencedTxn([{ delete: { key, ...(options.prefix ? { prefix: true } : {}) } }]);
  }

  /** Rewrites the holder record (a new phase), fenced; the key stays on our lease. */
  async update(change: { phase: string }): Promise<void> {
    const next: RunLockHolder = { ...this.#holder, phase: change.phase, updatedAt: new Date().toISOString() };
    // A put without the lease would detach the key from it, and the lock would outlive this process.
    await this.#fencedTxn([{ put: { key: RUN_LOCK_KEY, value: encodeRunLockHolder(next), lease: this.leaseId } }]);
    this.#holder = next;
  }

  /** Stops renewing and revokes the lease, which deletes the lock key. Idempotent; never throws. */
  async release(): Promise<RunLockRelease> {
    this.#released = true;
    this.#stopTimer();
    await this.#renewal?.catch(() => undefined);
    try {
      return (await this.#client.leaseRevoke(this.leaseId)) ? 'released' : 'already-gone';
    } catch {
      return 'expires-by-itself';
    }
  }

  async #fencedTxn(operations: TxnOperation[]): Promise<number> {
    if (this.#lostError) throw this.#lostError;
    if (this.#released)
      throw new Error(`run lock of ${this.#holder.kind} run ${this.#holder.runId} used after its release`);
    const ours: TxnCompare[] = [
      { key: RUN_LOCK_KEY, target: 'createRevision', value: this.createRevision },
      { key: RUN_LOCK_KEY, target: 'lease', value: this.leaseId },
    ];
    const result = await this.#client.txn({
      compare: ours,
      success: operations,
      failure: [{ get: { key: RUN_LOCK_KEY } }],
    });
    if (result.succeeded) return result.revision;
    const current = result.responses[0]?.kind === 'get' ? result.responses[0].kvs[0] : undefined;
    this.#lose(current ? 'lock-taken-over' : 'lock-key-gone', current ? readHolder(current).holder : undefined);
    throw this.#lostError!;
  }

  #lose(reason: RunLockLossReason, takenOverBy?: RunLockHolder): void {
    if (this.#lostError) return;
    this.#lostError = runLockLostError(this.#holder, reason, takenOverBy, new Date());
    this.#stopTimer();
    this.#abort.abort(this.#lostError);
    try {
      this.#onLost?.(this.#lostError);
    } catch {
      // A failing callback must not hide the loss from the run: fenced writes still throw.
    }
  }

  #schedule(delayMs: number): void {
    if (this.#released || this.#lostError) return;
    this.#timer = setTimeout(() => {
      this.#renewal = this.#renew().finally(() => {
        this.#renewal = undefined;
      });
    }, delayMs);
    // The lock must not keep a finished process alive; the run itself does while it works.
    this.#timer.unref();
  }

  #stopTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  async #renew(): Promise<void> {
    const interval = keepAliveIntervalMs(this.#holder.ttlSeconds);
    const sentAt = Date.now();
    try {
      const ttl = await this.#client.leaseKeepAlive(this.leaseId);
      if (this.#released) return;
      if (!isLeaseAlive(ttl)) {
        this.#lose('lease-expired');
        return;
      }
      this.#deadline = renewalDeadline(sentAt, ttl);
      // The lease can live on while its key was deleted or replaced (by hand): a compare finds that.
      await this.#fencedTxn([]);
    } catch {
      if (this.#released || this.#lostError) return;
      // etcd out of reach (election, member down): keep trying until the TTL is spent.
      if (Date.now() >= this.#deadline) {
        this.#lose('renewal-deadline-passed');
        return;
      }
      this.#schedule(Math.min(interval, RETRY_AFTER_FAILURE_MS));
      return;
    }
    this.#schedule(interval);
  }
}
