import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { RunCoordinator, RunEnvelope } from '../core/migration/run-envelope.js';
import type { EtcdClient } from '../adapters/etcd/etcd-client.js';

/** Where a guarded run keeps its state in etcd, so that any host can inspect, finish or roll back an interrupted run. */
export class RunStateStore<State extends RunEnvelope<string>> {
  constructor(
    private readonly client: EtcdClient,
    readonly key: string,
  ) {}

  async read(): Promise<State | undefined> {
    const entry = await this.client.get(this.key);
    return entry ? (JSON.parse(entry.value) as State) : undefined;
  }

  async save(state: State): Promise<State> {
    await this.client.put(this.key, JSON.stringify(state));
    return state;
  }
}

/** This process as a run's coordinator, with a fresh run id. */
export function newRunIdentity(): { id: string; coordinator: RunCoordinator } {
  return { id: randomBytes(6).toString('hex'), coordinator: { host: hostname(), pid: process.pid } };
}
