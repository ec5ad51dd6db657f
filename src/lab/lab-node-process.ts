import type { InstanceLayout } from '../core/instance/instance-layout.js';
import { PgfleetError } from '../core/errors.js';
import { serviceUser } from '../adapters/process/os-user.js';
import { startPatroni, stopPatroni } from '../node/patroni-process.js';
import { labHostNamespace } from './lab-network.js';
import { labNodeInstanceLayout } from './lab-settings.js';
import { type LabState, saveLabState } from './lab-state.js';
import { BINARIES } from './lab-up.js';

/** The instance layout of one lab node. */
export function labNodeLayout(state: LabState, node: string): InstanceLayout {
  if (!state.topology.clusters.some((cluster) => cluster.nodes.some((candidate) => candidate.name === node))) {
    throw new PgfleetError('LAB_NO_SUCH_NODE', `the lab has no node ${node}`, {
      hint: '`pgfleet lab status` lists the nodes',
    });
  }
  return labNodeInstanceLayout(state.dir, state.topology, node);
}

/** Stops a lab node's Patroni (it stops PostgreSQL first), as a maintenance stop of that host would. */
export async function stopLabNode(state: LabState, node: string, graceMs = 60_000): Promise<void> {
  await stopPatroni(labNodeLayout(state, node), { graceMs });
}

/** Starts a lab node's Patroni again and records its new process, so `lab down` stops it. */
export async function startLabNode(state: LabState, node: string): Promise<void> {
  const host = state.topology.clusters.flatMap((cluster) => cluster.nodes).find((n) => n.name === node)?.host;
  const handle = await startPatroni(labNodeLayout(state, node), {
    patroniBinary: BINARIES.patroni,
    runAs: serviceUser(),
    netns: host ? labHostNamespace(state, host) : undefined,
  });
  state.processes = [
    ...state.processes.filter((process) => !(process.kind === 'patroni' && process.name === node)),
    { kind: 'patroni', name: node, ...(host ? { host } : {}), ...handle },
  ];
  await saveLabState(state);
}

/** Patroni stopped and started again on one node: how a configuration change that needs a restart is applied. */
export async function restartLabNode(state: LabState, node: string): Promise<void> {
  await stopLabNode(state, node);
  await startLabNode(state, node);
}
