import type { RotationReadinessRecord, RotationState } from '../../core/migration/rotation-run.js';
import { withAdminClient } from '../../fleet/fleet-connection.js';
import { coordinatorProcess } from '../../fleet/run-state-store.js';
import { readRotationRecords } from './rotation-facts.js';
import type { RotationFleet } from './rotation-fleet.js';
import { readRotationState } from './rotation-run.js';

export interface RotationStatus {
  /** The last rotation run recorded in etcd (any host's), or null. */
  run: RotationState | null;
  /** Whether its coordinator still runs: known only on the coordinator's own host. */
  coordinatorAlive: boolean | undefined;
  /** What hosts recorded for their members (user and fingerprint, never a password). */
  records: RotationReadinessRecord[];
}

/** `etcd tenants rotate --status`: where the last rotation stands, from etcd. Reads only. */
export async function rotationStatus(
  fleet: Pick<RotationFleet, 'endpoints' | 'tls' | 'admin'>,
): Promise<RotationStatus> {
  return withAdminClient(fleet, async (admin) => {
    const run = (await readRotationState(admin)) ?? null;
    return {
      run,
      coordinatorAlive: run ? aliveHere(run.coordinator) : undefined,
      records: [...(await readRotationRecords(admin)).values()],
    };
  });
}

/** Whether the run's coordinator still runs: known only on its own host (undefined elsewhere). */
function aliveHere(coordinator: Parameters<typeof coordinatorProcess>[0]): boolean | undefined {
  const process = coordinatorProcess(coordinator);
  return process === undefined ? undefined : process === 'alive';
}
