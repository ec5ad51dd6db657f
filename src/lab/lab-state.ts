import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { PgfleetError } from '../core/errors.js';
import type { LabEtcdApi } from '../core/lab/lab-etcd-api.js';
import type { LabEtcdTls } from '../core/lab/lab-etcd-tls.js';
import type { LabTopology } from '../core/lab/lab-topology.js';
import type { LabLinkCut, LabNetworkPlan } from '../core/lab/multihost-topology.js';
import type { ProcessHandle } from '../adapters/process/daemon.js';
import { writeFileAtomic } from '../adapters/fs/atomic-file.js';
import { isRoot } from '../adapters/process/os-user.js';

export const LAB_STATE_FILE = 'lab.json';
const MARKER = 'pgfleet-lab/v1';

export interface LabProcess extends ProcessHandle {
  kind: 'etcd' | 'patroni';
  name: string;
  /** The host it runs on (a multi-host lab). */
  host?: string | undefined;
}

/** What `lab up` records, so that `lab status/env/down` (and tests) find everything again. */
export interface LabState {
  marker: typeof MARKER;
  id: string;
  dir: string;
  createdAt: string;
  topology: LabTopology;
  /** Every process the lab started, recorded as soon as it is started. */
  processes: LabProcess[];
  settingsFile: string;
  phase: 'starting' | 'ready' | 'failed';
  /** How etcd serves clients (absent in labs made before TLS support: off). */
  etcdTls?: LabEtcdTls | undefined;
  /** The etcd API the nodes use (absent: v3); v2 serves --enable-v2 and puts the nodes on `etcd:`. */
  etcdApi?: LabEtcdApi | undefined;
  /**
   * A multi-host lab's namespaces and links, recorded before the first one
   * is made: `lab down` removes what is recorded here (and any namespace
   * named with the lab's prefix), whatever stopped `lab up`.
   */
  network?: LabNetworkPlan | undefined;
  /** Links `lab partition` cut and `lab heal` has not restored yet. */
  cuts?: LabLinkCut[] | undefined;
}

/**
 * Default lab directory: $PGFLEET_LAB_DIR (exported by `pgfleet lab env`, so
 * `lab restapi-tls`, `lab status`... follow the lab whose settings are in
 * effect), else $XDG_STATE_HOME/pgfleet/lab or ~/.local/state/pgfleet/lab.
 * As root, /root is closed to the postgres user that runs Patroni, so the
 * default is /var/lib/pgfleet/lab unless XDG_STATE_HOME says otherwise.
 */
export function defaultLabDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PGFLEET_LAB_DIR) return env.PGFLEET_LAB_DIR;
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, 'pgfleet', 'lab');
  if (isRoot()) return '/var/lib/pgfleet/lab';
  return join(homedir(), '.local', 'state', 'pgfleet', 'lab');
}

export function newLabState(fields: Omit<LabState, 'marker' | 'processes' | 'phase' | 'createdAt'>): LabState {
  return { marker: MARKER, processes: [], phase: 'starting', createdAt: new Date().toISOString(), ...fields };
}

export async function saveLabState(state: LabState): Promise<void> {
  await writeFileAtomic(join(state.dir, LAB_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
}

/** Reads a lab's state; refuses a directory that is not a pgfleet lab. */
export async function loadLabState(dir: string): Promise<LabState> {
  const text = await readFile(join(dir, LAB_STATE_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) {
    const exists = await stat(dir).then(
      () => true,
      () => false,
    );
    throw new PgfleetError(
      exists ? 'LAB_NOT_A_LAB' : 'LAB_NOT_FOUND',
      exists ? `${dir} is not a pgfleet lab (no ${LAB_STATE_FILE})` : `no lab at ${dir}`,
      {
        hint: exists
          ? 'pgfleet only touches directories it created; check --dir'
          : 'start one with `pgfleet lab up`, or pass --dir',
      },
    );
  }
  let state: LabState;
  try {
    state = JSON.parse(text) as LabState;
  } catch {
    throw new PgfleetError('LAB_STATE_CORRUPT', `${join(dir, LAB_STATE_FILE)} is not valid JSON`, {
      hint: 'stop its processes by hand and remove the directory',
    });
  }
  if (state.marker !== MARKER) {
    throw new PgfleetError('LAB_NOT_A_LAB', `${dir} is not a pgfleet lab (unknown marker in ${LAB_STATE_FILE})`, {
      hint: 'pgfleet only touches directories it created; check --dir',
    });
  }
  return state;
}
