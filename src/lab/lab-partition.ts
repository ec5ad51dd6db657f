import { type LabLinkCut, cutPeers, healCuts, partitionCuts } from '../core/lab/multihost-topology.js';
import { applyLabCuts } from './lab-network.js';
import { loadMultiHostLab } from './lab-exec.js';
import { saveLabState } from './lab-state.js';

export interface LabLinks {
  host: string;
  /** The hosts it is cut from now. */
  cutFrom: string[];
  /** Every cut link of the lab now. */
  cuts: LabLinkCut[];
}

/**
 * `pgfleet lab partition HOST [--from PEER…]`: HOST and each peer (every
 * other host by default) lose every packet between them, both ways: each
 * side pins the other's address to a MAC no interface has, so frames go out
 * and are dropped by the receivers, the senders see no error (a real
 * partition: timeouts, not refusals). Processes are not touched; other
 * links stay as they are.
 */
export async function labPartition(dir: string, host: string, from: readonly string[] = []): Promise<LabLinks> {
  const state = await loadMultiHostLab(dir);
  const previous = state.cuts ?? [];
  const next = partitionCuts(previous, state.topology.hosts!, host, from);
  await applyLabCuts(state.network!, previous, next);
  state.cuts = next;
  await saveLabState(state);
  return { host, cutFrom: cutPeers(next, host), cuts: next };
}

/** `pgfleet lab heal HOST`: every link of HOST restored (its peers' address resolved again); other cuts stay. */
export async function labHeal(dir: string, host: string): Promise<LabLinks> {
  const state = await loadMultiHostLab(dir);
  const previous = state.cuts ?? [];
  // Checks the name: healing a host the lab does not have is an error, not a no-op.
  partitionCuts([], state.topology.hosts!, host, []);
  const next = healCuts(previous, host);
  await applyLabCuts(state.network!, previous, next);
  state.cuts = next;
  await saveLabState(state);
  return { host, cutFrom: cutPeers(next, host), cuts: next };
}
