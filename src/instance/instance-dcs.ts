import { setTimeout as sleep } from 'node:timers/promises';
import { clusterPrefix } from '../core/instance/dcs-preflight.js';
import type { ConfigTree } from '../core/patroni-config/deep-merge.js';
import type { PatroniSettings } from '../core/settings/site-settings.js';
import { Secret } from '../core/secret.js';
import { EtcdClient, type EtcdCredentials } from '../adapters/etcd/etcd-client.js';
import type { EtcdTlsFiles } from '../adapters/etcd/gateway-transport.js';

/** How one instance reaches its cluster's keys: its etcd, its prefix, its own credentials. */
export interface InstanceDcs {
  endpoints: string[];
  tls: EtcdTlsFiles;
  namespace: string;
  scope: string;
  /** `/<namespace>/<scope>/`. */
  prefix: string;
  credentials: EtcdCredentials | undefined;
}

/** The DCS of the site settings, for an instance about to be created. */
export function settingsDcs(
  patroni: PatroniSettings,
  scope: string,
  credentials: EtcdCredentials | undefined,
): InstanceDcs {
  const etcd = patroni.etcd;
  return {
    endpoints: etcd.hosts.map((host) => `${etcd.protocol}://${host}`),
    tls: { cacert: etcd.cacert, cert: etcd.cert, key: etcd.key },
    namespace: etcd.namespace,
    scope,
    prefix: clusterPrefix(etcd.namespace, scope),
    credentials,
  };
}

/** The DCS as an instance's YAML describes it (what its Patroni uses). */
export function configDcs(config: ConfigTree, namespace: string, scope: string): InstanceDcs {
  const section = (config.etcd3 ?? config.etcd ?? {}) as Record<string, unknown>;
  const protocol = typeof section.protocol === 'string' ? section.protocol : 'http';
  const hosts = Array.isArray(section.hosts)
    ? section.hosts.map(String)
    : typeof section.hosts === 'string'
      ? section.hosts.split(',')
      : typeof section.host === 'string'
        ? [section.host]
        : ['127.0.0.1:2379'];
  const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  const username = str(section.username);
  const password = section.password === undefined || section.password === null ? undefined : String(section.password);
  return {
    endpoints: hosts.map((host) => `${protocol}://${host.trim()}`),
    tls: { cacert: str(section.cacert), cert: str(section.cert), key: str(section.key) },
    namespace,
    scope,
    prefix: clusterPrefix(namespace, scope),
    credentials: username && password ? { username, password: new Secret(password) } : undefined,
  };
}

export function dcsClient(dcs: InstanceDcs, credentials: EtcdCredentials | undefined = dcs.credentials): EtcdClient {
  return new EtcdClient({ endpoints: dcs.endpoints, tls: dcs.tls, credentials, timeoutMs: 5_000 });
}

/** Member names registered under `<prefix>members/`. */
export async function readClusterMembers(client: EtcdClient, prefix: string): Promise<string[]> {
  const keys = await client.getPrefix(`${prefix}members/`, { keysOnly: true });
  return keys
    .map((entry) => entry.key.slice(`${prefix}members/`.length))
    .filter((name) => name.length > 0 && !name.includes('/'));
}

/** True when a cluster was bootstrapped under the prefix (its `initialize` key exists). */
export async function isClusterInitialized(client: EtcdClient, prefix: string): Promise<boolean> {
  return (await client.get(`${prefix}initialize`)) !== undefined;
}

/**
 * Removes a member's key, and when its create was bootstrapping the cluster
 * and no other member is left, every key of the cluster (the `initialize`
 * key of a cluster without data would make the next member wait for a leader
 * forever). Patroni's own keys would expire or be cancelled otherwise.
 */
export async function forgetMember(dcs: InstanceDcs, node: string, bootstrapping: boolean): Promise<void> {
  const client = dcsClient(dcs);
  try {
    await client.delete(`${dcs.prefix}members/${node}`);
    if (bootstrapping && (await readClusterMembers(client, dcs.prefix)).length === 0)
      await client.delete(dcs.prefix, { prefix: true });
  } finally {
    await client.close();
  }
}

/**
 * Waits until the cluster's leader key names `node`. A bootstrapping member
 * answers GET /readiness as soon as it believes it leads, which Patroni 3.0.2
 * sets even when its first take_leader write did not land; the key follows
 * at a later HA loop. True when the key names it within the bound.
 */
export async function waitForDcsLeader(
  dcs: InstanceDcs,
  node: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const client = dcsClient(dcs);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      const leader = await client.get(`${dcs.prefix}leader`).catch(() => undefined);
      if (leader?.value === node) return true;
      if (Date.now() > deadline || signal?.aborted) return false;
      await sleep(500, undefined, signal ? { signal } : {}).catch(() => undefined);
    }
  } finally {
    await client.close();
  }
}
