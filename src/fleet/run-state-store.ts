import { randomBytes } from 'node:crypto';
import { PgfleetError } from '../core/errors.js';
import { type RunLockView, runLockTtlFromEnv, staleHolderAction } from '../core/migration/run-lock-record.js';
import type { RunCoordinator, RunEnvelope } from '../core/migration/run-envelope.js';
import type { EtcdClient } from '../adapters/etcd/etcd-client.js';
import { type RunLock, readRunLock, withRunLock } from '../adapters/etcd/run-lock.js';
import { processAlive } from '../adapters/process/process-alive.js';
import { thisHostName } from '../adapters/process/host-name.js';

/**
 * Where a guarded run keeps its state in etcd, so that any host can inspect,
 * finish or roll back an interrupted run. With the run lock, every save is
 * fenced: a run that lost its lock fails its next save (RUN_LOCK_LOST)
 * instead of writing over the run that took over.
 */
export class RunStateStore<State extends RunEnvelope<string>> {
  constructor(
    private readonly client: EtcdClient,
    readonly key: string,
    private readonly lock?: RunLock | undefined,
  ) {}

  async read(): Promise<State | undefined> {
    const entry = await this.client.get(this.key);
    return entry ? (JSON.parse(entry.value) as State) : undefined;
  }

  /** Saves the state; the lock's phase follows it unless `lockPhase` says otherwise (a run recording another run's end). */
  async save(state: State, options: { lockPhase?: string } = {}): Promise<State> {
    if (!this.lock) {
      await this.client.put(this.key, JSON.stringify(state));
      return state;
    }
    await this.lock.fence(this.key, JSON.stringify(state));
    const phase = options.lockPhase ?? state.phase;
    if (this.lock.holder.phase !== phase) await this.lock.update({ phase });
    return state;
  }
}

/** A run's identity: its id and its coordinator (this process). */
export interface RunIdentity {
  id: string;
  coordinator: RunCoordinator;
}

/**
 * Runs `work` as the one guarded run of the fleet: under the run lock given
 * (a `migrate` holds one lock across prepare, apply and enforce), or under a
 * new one taken for `kind`. RUN_BUSY (exit "busy") names the holder when
 * another coordinator runs. A run that lost its lock on the way fails with
 * RUN_LOCK_LOST, whatever else its work then failed on: what followed the
 * loss (a wait cut short, a write refused) is not a diagnosis of the fleet.
 */
export async function asGuardedRun<T>(
  admin: EtcdClient,
  kind: string,
  held: RunLock | undefined,
  work: (lock: RunLock, identity: RunIdentity) => Promise<T>,
  options: { phase?: string } = {},
): Promise<T> {
  if (held) return reportingLoss(held, work);
  const request = {
    kind,
    runId: randomBytes(6).toString('hex'),
    phase: options.phase ?? 'gates',
    ttlSeconds: runLockTtlFromEnv(process.env),
  };
  return withRunLock(admin, request, (lock) => reportingLoss(lock, work));
}

async function reportingLoss<T>(lock: RunLock, work: (lock: RunLock, identity: RunIdentity) => Promise<T>): Promise<T> {
  try {
    const result = await work(lock, identityOf(lock));
    // Found lost, yet the work returned: a step swallowed the refusal (a compensation skipped); it did not finish.
    if (lock.lost && lock.signal.reason instanceof PgfleetError) throw lock.signal.reason;
    return result;
  } catch (error) {
    if (lock.lost && lock.signal.reason instanceof PgfleetError) throw lock.signal.reason;
    throw error;
  }
}

/** Whether a run lock's holder still runs: one killed on this host, or one that missed its renewals, does not. */
export function runLockHolderLive(held: Parameters<typeof staleHolderAction>[0]): boolean {
  return staleHolderAction(held, { host: thisHostName(), pidAlive: processAlive }).kind === 'busy';
}

/** The run lock as status shows it, or undefined when free. Needs the admin client once auth is on. */
export async function readRunLockView(admin: EtcdClient): Promise<RunLockView | undefined> {
  const held = await readRunLock(admin);
  if (!held) return undefined;
  return {
    holder: held.holder,
    ...(held.unreadableReason ? { unreadableReason: held.unreadableReason } : {}),
    leaseTtlSeconds: held.leaseTtlSeconds,
  };
}

/** Whether a run's coordinator process exists: known only on its own host (undefined elsewhere). */
export function coordinatorProcess(coordinator: RunCoordinator): 'alive' | 'gone' | undefined {
  if (coordinator.host !== thisHostName()) return undefined;
  return processAlive(coordinator.pid) ? 'alive' : 'gone';
}

function identityOf(lock: RunLock): RunIdentity {
  const holder = lock.holder;
  return { id: holder.runId, coordinator: { host: holder.host, pid: holder.pid } };
}
