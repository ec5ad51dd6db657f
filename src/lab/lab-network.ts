import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError } from '../core/errors.js';
import { type LabLinkCut, type LabNetworkPlan, cutPeers } from '../core/lab/multihost-topology.js';
import {
  addBridge,
  addHostLink,
  addNamespace,
  currentNamespaceAmong,
  deleteNamespace,
  listNamespaces,
  losePacketsTo,
  namespacePids,
  restorePacketsTo,
} from '../adapters/net/network-namespace.js';
import type { LabState } from './lab-state.js';

/**
 * The network of a multi-host lab: a namespace holding only a bridge, one
 * namespace per host joined to it by a veth pair, the host's address on its
 * side. The root namespace gets nothing: no interface, address or route, so
 * no packet of the lab can leave the namespaces, nor come in.
 */
export async function createLabNetwork(plan: LabNetworkPlan): Promise<void> {
  await addNamespace(plan.bridgeNamespace);
  await addBridge(plan.bridgeNamespace, plan.bridge);
  for (const host of plan.hosts) {
    await addNamespace(host.namespace);
    await addHostLink({
      bridgeNamespace: plan.bridgeNamespace,
      bridge: plan.bridge,
      bridgePort: host.bridgePort,
      hostNamespace: host.namespace,
      address: host.address,
      prefixLength: plan.prefixLength,
    });
  }
}

/**
 * Removes a lab's namespaces (their interfaces and addresses go with them):
 * every one recorded, and any other named with the lab's prefix (made by a
 * run killed before it could record more). A process still inside one is
 * stopped first (SIGTERM, then SIGKILL): nothing outlives the lab's network.
 * Safe to run again: what is gone is skipped.
 */
export async function removeLabNetwork(network: LabNetworkPlan): Promise<{ namespaces: string[]; killed: number }> {
  const recorded = [network.bridgeNamespace, ...network.hosts.map((host) => host.namespace)];
  const existing = (await listNamespaces()).filter(
    (name) => recorded.includes(name) || name.startsWith(network.namespacePrefix),
  );
  const spared = new Set([process.pid, process.ppid]);
  const inside = async (): Promise<number[]> =>
    (await Promise.all(existing.map((name) => namespacePids(name)))).flat().filter((pid) => !spared.has(pid));
  const first = await inside();
  if (first.length > 0) {
    signalAll(first, 'SIGTERM');
    for (let waited = 0; waited < 5_000 && (await inside()).length > 0; waited += 200) await sleep(200);
    signalAll(await inside(), 'SIGKILL');
    for (let waited = 0; waited < 5_000 && (await inside()).length > 0; waited += 200) await sleep(200);
  }
  const survivors = await inside();
  if (survivors.length > 0) {
    throw new PgfleetError(
      'LAB_NETWORK_BUSY',
      `processes ${survivors.join(', ')} still run in the lab's namespaces: they were not removed`,
      { hint: 'kill them by hand, then run `pgfleet lab down` again', exitCode: 4 },
    );
  }
  for (const name of existing) await deleteNamespace(name);
  return { namespaces: existing, killed: first.length };
}

function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Gone already.
    }
  }
}

/** The namespace of a lab host. */
export function labHostNamespace(state: Pick<LabState, 'network'>, host: string): string {
  const entry = state.network?.hosts.find((candidate) => candidate.name === host);
  if (!entry) {
    throw new PgfleetError(
      'LAB_NO_SUCH_HOST',
      state.network
        ? `the lab has no host ${host}: its hosts are ${state.network.hosts.map((h) => h.name).join(', ')}`
        : `this lab runs on one host: it has no host ${host}`,
      { hint: state.network ? '' : 'start a multi-host lab with `pgfleet lab up --hosts 3`' },
    );
  }
  return entry.namespace;
}

/** The lab host whose namespace this process runs in; undefined outside the lab (the root namespace included). */
export async function labHostOfThisProcess(state: Pick<LabState, 'network'>): Promise<string | undefined> {
  if (!state.network) return undefined;
  const namespace = await currentNamespaceAmong(state.network.hosts.map((host) => host.namespace));
  return state.network.hosts.find((host) => host.namespace === namespace)?.name;
}

/**
 * Makes the links match `next`: for every cut pair, each side loses the
 * packets to and from the other; a pair no longer cut is restored. Hosts
 * and their processes are not touched.
 */
export async function applyLabCuts(
  network: LabNetworkPlan,
  previous: readonly LabLinkCut[],
  next: readonly LabLinkCut[],
): Promise<void> {
  const addressOf = new Map(network.hosts.map((host) => [host.name, host.address]));
  for (const host of network.hosts) {
    const wanted = cutPeers(next, host.name);
    const before = cutPeers(previous, host.name);
    for (const peer of wanted) await losePacketsTo(host.namespace, addressOf.get(peer)!);
    for (const peer of before.filter((name) => !wanted.includes(name)))
      await restorePacketsTo(host.namespace, addressOf.get(peer)!);
  }
}
