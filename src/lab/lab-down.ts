import { rm } from 'node:fs/promises';
import { PgfleetError } from '../core/errors.js';
import { isRunning } from '../adapters/process/daemon.js';
import { removeLabNetwork } from './lab-network.js';
import { currentLabProcesses } from './lab-processes.js';
import { stopLabProcesses } from './lab-up.js';
import { loadLabState } from './lab-state.js';

export interface LabDownResult {
  dir: string;
  /** False when there was no lab (down is safe to run twice). */
  existed: boolean;
  stopped: string[];
  /** The network namespaces removed (a multi-host lab). */
  namespaces?: string[];
}

/**
 * Stops every process the lab started (SIGTERM, then SIGKILL after a bound),
 * checks they are gone, removes a multi-host lab's network namespaces (and
 * whatever still runs in them), and removes the lab directory. Refuses a
 * directory that is not a pgfleet lab; a missing lab is not an error, and a
 * second run finishes what an interrupted one left.
 */
export async function labDown(dir: string, options: { graceMs?: number } = {}): Promise<LabDownResult> {
  let state;
  try {
    state = await loadLabState(dir);
  } catch (error) {
    if (error instanceof PgfleetError && error.code === 'LAB_NOT_FOUND') return { dir, existed: false, stopped: [] };
    throw error;
  }
  const processes = await currentLabProcesses(state);
  const alive = processes.filter((process) => isRunning(process)).map((process) => process.name);
  await stopLabProcesses(state, options.graceMs);
  // Whatever still runs in a multi-host lab's namespaces is stopped with them.
  const network = state.network ? await removeLabNetwork(state.network) : undefined;
  const survivors = processes.filter((process) => isRunning(process));
  if (survivors.length > 0) {
    throw new PgfleetError(
      'LAB_STOP_FAILED',
      `could not stop ${survivors.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}`,
      {
        hint: 'kill them by hand, then run `pgfleet lab down` again',
        exitCode: 4,
      },
    );
  }
  await rm(dir, { recursive: true, force: true });
  return { dir, existed: true, stopped: alive, ...(network ? { namespaces: network.namespaces } : {}) };
}
