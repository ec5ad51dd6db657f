import { findFreePortRange } from '../adapters/process/port-probe.js';
import { labPortCount } from '../core/lab/lab-topology.js';
import { labDown } from './lab-down.js';
import { ensureClusterRoles } from './lab-secrets.js';
import { labStatus, type LabStatus } from './lab-status.js';
import { labUp } from './lab-up.js';
import { checkWriteReplicates, type ReplicationCheck } from './replication-check.js';
import { defaultLabDir } from './lab-state.js';

export interface DemoNarrator {
  /** A numbered step of the story. */
  step(title: string): void;
  /** What happened, under the current step. */
  say(line: string): void;
  /** Transient progress (a TTY line). */
  progress(line: string): void;
  endProgress(): void;
  status(status: LabStatus): void;
}

export interface LabDemoOptions {
  dir?: string | undefined;
  basePort?: number | undefined;
  keep?: boolean | undefined;
  narrator: DemoNarrator;
}

export interface LabDemoResult {
  dir: string;
  labUpMs: number;
  checks: ReplicationCheck[];
  kept: boolean;
}

/**
 * The lab demo: an open etcd and two Patroni clusters come up, a write on
 * each primary is read back from its replica, and the lab goes down again
 * (unless kept). Later migrations extend the story.
 */
export async function labDemo(options: LabDemoOptions): Promise<LabDemoResult> {
  const say = options.narrator;
  const dir = options.dir ?? defaultLabDir();
  const shape = { clusters: 2, nodes: 2, etcdMembers: 3 };
  const basePort = options.basePort ?? (await findFreePortRange(labPortCount(shape), { min: 40_000, max: 50_000 }));

  say.step('Start a lab: 3 etcd members (open: no auth, no TLS) and 2 Patroni clusters of 2 nodes, on 127.0.0.1');
  const up = await labUp({
    ...shape,
    basePort,
    dir,
    onProgress: (message, transient) => (transient ? say.progress(message) : say.say(message)),
  });
  say.endProgress();
  say.say(`lab ready in ${(up.elapsedMs / 1000).toFixed(1)} s, in ${dir}`);
  let kept = false;
  try {
    say.step('Lab status: etcd members and each cluster, from the REST API of every Patroni node');
    say.status(await labStatus(dir));

    say.step('Write on each primary, read it back from its replica');
    const checks: ReplicationCheck[] = [];
    for (const cluster of up.state.topology.clusters) {
      const leader = up.readiness.find((readiness) => readiness.scope === cluster.scope)?.leader;
      const roles = await ensureClusterRoles(dir, cluster.scope);
      const check = await checkWriteReplicates(up.state.topology, cluster, leader!, roles);
      checks.push(check);
      say.say(`${check.scope}: wrote ${check.marker} on ${check.primary}, read it on ${check.replica} after ${check.visibleAfterMs} ms`);
    }

    if (options.keep) {
      kept = true;
      say.step('Keep the lab running (--keep)');
      say.say(`use it with:  eval "$(pgfleet lab env --dir ${dir})"`);
      say.say(`stop it with: pgfleet lab down --dir ${dir}`);
    }
    return { dir, labUpMs: up.elapsedMs, checks, kept };
  } finally {
    if (!kept) {
      say.step('Stop the lab and remove its directory');
      const down = await labDown(dir);
      say.say(`stopped ${down.stopped.length} processes; ${dir} removed`);
    }
  }
}
