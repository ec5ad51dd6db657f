import type { FleetMember } from '../../core/migration/fleet-member.js';
import type { EtcdClient } from './etcd-client.js';

/** A Patroni member as its DCS key (`/<namespace>/<scope>/members/<name>`) describes it. */
export interface DcsMember {
  namespace: string;
  scope: string;
  name: string;
  apiUrl: string | undefined;
  role: string | undefined;
  /** The Patroni version the member publishes. */
  patroniVersion: string | undefined;
}

/** What the DCS holds for the Patroni clusters of some namespaces: members, and each cluster's dynamic configuration (`config` key). */
export interface PatroniDcsContent {
  members: DcsMember[];
  /** Parsed `config` values, keyed `<namespace><scope>`. */
  configs: Map<string, Record<string, unknown>>;
}

/**
 * Reads every Patroni member and cluster configuration registered under the
 * given namespaces, whoever created its cluster: the outage came from
 * clusters nobody had listed. One range read per namespace.
 */
export async function readPatroniDcs(client: EtcdClient, namespaces: string[]): Promise<PatroniDcsContent> {
  const members: DcsMember[] = [];
  const configs = new Map<string, Record<string, unknown>>();
  for (const namespace of new Set(namespaces)) {
    for (const entry of await client.getPrefix(namespace)) {
      const rest = entry.key.slice(namespace.length);
      const member = /^([^/]+)\/members\/([^/]+)$/.exec(rest);
      if (member) {
        const [, scope, name] = member as unknown as [string, string, string];
        const data = parseJsonObject(entry.value);
        members.push({
          namespace,
          scope,
          name,
          apiUrl: stringField(data, 'api_url'),
          role: stringField(data, 'role'),
          patroniVersion: stringField(data, 'version'),
        });
        continue;
      }
      const config = /^([^/]+)\/config$/.exec(rest);
      if (config) configs.set(`${namespace}${config[1]}`, parseJsonObject(entry.value));
    }
  }
  members.sort((a, b) => `${a.namespace}${a.scope}/${a.name}`.localeCompare(`${b.namespace}${b.scope}/${b.name}`));
  return { members, configs };
}

/** Every Patroni member registered in the DCS under the given namespaces. */
export async function discoverPatroniMembers(
  client: EtcdClient,
  namespaces: string[],
  managedHere: (namespace: string, scope: string, name: string) => boolean = () => false,
): Promise<FleetMember[]> {
  const { members } = await readPatroniDcs(client, namespaces);
  return members.map((member) => ({
    namespace: member.namespace,
    scope: member.scope,
    name: member.name,
    apiUrl: member.apiUrl,
    role: member.role,
    managedHere: managedHere(member.namespace, member.scope, member.name),
  }));
}

function parseJsonObject(value: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(value);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

function stringField(data: Record<string, unknown>, key: string): string | undefined {
  const value = data[key];
  return typeof value === 'string' ? value : undefined;
}
