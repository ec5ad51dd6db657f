import { randomBytes } from 'node:crypto';
import type { RunCoordinator, RunEnvelope } from '../core/migration/run-envelope.js';
import type { EtcdClient } from '../adapters/etcd/etcd-client.js';
import { type RunLock, withRunLock } from '../adapters/etcd/run-lock.js';

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

  async save(state: State): Promise<State> {
    if (!this.lock) {
      await this.client.put(this.key, JSON.stringify(state));
      return state;
    }
    await this.lock.fence(this.key, JSON.stringify(state));
    if (this.lock.holder.phase !== state.phase) await this.lock.update({ phase: state.phase });
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
 * another coordinator runs.
 */
export async function asGuardedRun<T>(admin: EtcdClient, kind: string, held: RunLock | undefined, work: (lock: RunLock, identity: RunIdentity) => Promise<T>): Promise<T> {
  if (held) return work(held, identityOf(held));
  return withRunLock(admin, { kind, runId: randomBytes(6).toString('hex'), phase: 'gates' }, (lock) => work(lock, identityOf(lock)));
}

function identityOf(lock: RunLock): RunIdentity {
  const holder = lock.holder;
  return { id: holder.runId, coordinator: { host: holder.host, pid: holder.pid } };
}
