import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { promisify } from 'node:util';
import { PgfleetError } from '../../core/errors.js';

/**
 * Linux network namespaces through iproute2 (`ip netns`, `ip -n NS ...`).
 * Every call names the namespace it acts in: nothing here touches the
 * machine's own network (the root namespace's interfaces, addresses and
 * routes).
 */

const IP_BINARY = ['/usr/sbin/ip', '/sbin/ip', '/usr/bin/ip', '/bin/ip'].find((path) => existsSync(path)) ?? 'ip';
const SETPRIV_BINARY = ['/usr/bin/setpriv', '/bin/setpriv'].find((path) => existsSync(path)) ?? 'setpriv';
const NETNS_DIR = '/run/netns';
/**
 * A locally administered MAC no interface has: a peer pinned to it is
 * unreachable, its frames dropped by every receiver while the sender sees no
 * error. That is a partition: packets lost, not refused.
 */
const NOWHERE_MAC = '02:00:00:00:00:00';

async function ip(args: string[]): Promise<string> {
  try {
    const { stdout } = await promisify(execFile)(IP_BINARY, args, { timeout: 30_000 });
    return stdout;
  } catch (error) {
    const stderr = ((error as { stderr?: string }).stderr ?? '').trim();
    throw new PgfleetError(
      'NETNS_COMMAND_FAILED',
      `ip ${args.join(' ')} failed: ${stderr || (error instanceof Error ? error.message : String(error))}`,
      { hint: 'network namespaces need root and iproute2 (apt-get install -y iproute2)', exitCode: 4 },
    );
  }
}

/** Names of the network namespaces `ip netns` knows. */
export async function listNamespaces(): Promise<string[]> {
  const text = await ip(['netns', 'list']);
  return text
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[0] ?? '')
    .filter((name) => name.length > 0);
}

export async function addNamespace(name: string): Promise<void> {
  await ip(['netns', 'add', name]);
}

/** Deletes a namespace (its interfaces go with it; a veth's peer too); a missing one is not an error. */
export async function deleteNamespace(name: string): Promise<void> {
  if (!existsSync(`${NETNS_DIR}/${name}`)) return;
  await ip(['netns', 'delete', name]);
}

/** Processes whose network namespace is `name`. */
export async function namespacePids(name: string): Promise<number[]> {
  if (!existsSync(`${NETNS_DIR}/${name}`)) return [];
  const text = await ip(['netns', 'pids', name]).catch(() => '');
  return text
    .split('\n')
    .map((line) => Number(line.trim()))
    .filter((pid) => Number.isInteger(pid) && pid > 0);
}

/** A bridge, up, in a namespace. */
export async function addBridge(namespace: string, bridge: string): Promise<void> {
  await ip(['-n', namespace, 'link', 'add', bridge, 'type', 'bridge']);
  await ip(['-n', namespace, 'link', 'set', bridge, 'up']);
}

/**
 * Joins a host namespace to the bridge: a veth pair made directly across the
 * two namespaces (never in the root one), `eth0` with the host's address on
 * the host side, and loopback up.
 */
export async function addHostLink(link: {
  bridgeNamespace: string;
  bridge: string;
  bridgePort: string;
  hostNamespace: string;
  address: string;
  prefixLength: number;
}): Promise<void> {
  const bridgeSide = ['-n', link.bridgeNamespace];
  const hostSide = ['-n', link.hostNamespace];
  await ip([
    ...bridgeSide,
    'link',
    'add',
    link.bridgePort,
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    link.hostNamespace,
  ]);
  await ip([...bridgeSide, 'link', 'set', link.bridgePort, 'master', link.bridge, 'up']);
  await ip([...hostSide, 'addr', 'add', `${link.address}/${link.prefixLength}`, 'dev', 'eth0']);
  await ip([...hostSide, 'link', 'set', 'eth0', 'up']);
  await ip([...hostSide, 'link', 'set', 'lo', 'up']);
}

/** From inside `namespace`, `peer` becomes unreachable: what is sent to it is lost, and what it sends is dropped. */
export async function losePacketsTo(namespace: string, peer: string): Promise<void> {
  await ip(['-n', namespace, 'neigh', 'replace', peer, 'lladdr', NOWHERE_MAC, 'dev', 'eth0', 'nud', 'permanent']);
}

/** Undoes losePacketsTo: the peer's address is resolved again (ARP) at the next packet. */
export async function restorePacketsTo(namespace: string, peer: string): Promise<void> {
  await ip(['-n', namespace, 'neigh', 'del', peer, 'dev', 'eth0']).catch(() => undefined);
}

/** The peers `namespace` currently loses packets to (pinned to the unreachable MAC). */
export async function peersLost(namespace: string): Promise<string[]> {
  const text = await ip(['-n', namespace, 'neigh', 'show', 'dev', 'eth0']);
  return text
    .split('\n')
    .filter((line) => line.includes(NOWHERE_MAC))
    .map((line) => line.trim().split(/\s+/)[0]!)
    .filter(Boolean);
}

/** The name of the lab namespace this process runs in, among `candidates`; undefined in any other (the root one included). */
export async function currentNamespaceAmong(candidates: readonly string[]): Promise<string | undefined> {
  const own = await stat('/proc/self/ns/net').catch(() => undefined);
  if (!own) return undefined;
  for (const name of candidates) {
    const info = await stat(`${NETNS_DIR}/${name}`).catch(() => undefined);
    if (info && info.ino === own.ino && info.dev === own.dev) return name;
  }
  return undefined;
}

/**
 * The command line that runs `command` inside a namespace: `ip netns exec`
 * (which execs, so the pid stays the program's), then, for another user,
 * `setpriv` dropping to that user and group with no supplementary groups, as
 * spawning with uid/gid does.
 */
export function inNamespace(
  namespace: string,
  command: string,
  args: readonly string[],
  runAs?: { uid: number; gid: number } | undefined,
): { command: string; args: string[] } {
  const drop = runAs
    ? [SETPRIV_BINARY, '--reuid', String(runAs.uid), '--regid', String(runAs.gid), '--clear-groups', '--']
    : [];
  return { command: IP_BINARY, args: ['netns', 'exec', namespace, ...drop, command, ...args] };
}
