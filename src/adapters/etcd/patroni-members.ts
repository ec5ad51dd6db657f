import type { FleetMember } from '../../core/migration/fleet-member.js';
import type { EtcdClient } from './etcd-client.js';

/**
 * Every Patroni member registered in the DCS under the given namespaces
 * (`/<namespace>/<scope>/members/<name>`), whoever created its cluster: the
 * outage came from clusters nobody had listed.
 */
export async function discoverPatroniMembers(client: EtcdClient, namespaces: string[], managedHere: (namespace: string, scope: string, name: string) => boolean = () => false): Promise<FleetMember[]> {
  const members: FleetMember[] = [];
  for (const namespace of new Set(namespaces)) {
    const keys = await client.getPrefix(namespace);
    for (const entry of keys) {
      const rest = entry.key.slice(namespace.length);
      const match = /^([^/]+)\/members\/([^/]+)$/.exec(rest);
      if (!match) continue;
      const [, scope, name] = match as unknown as [string, string, string];
      const data = parseMemberValue(entry.value);
      members.push({ namespace, scope, name, apiUrl: data.api_url, role: data.role, managedHere: managedHere(namespace, scope, name) });
    }
  }
  return members.sort((a, b) => `${a.namespace}${a.scope}/${a.name}`.localeCompare(`${b.namespace}${b.scope}/${b.name}`));
}

function parseMemberValue(value: string): { api_url?: string; role?: string } {
  try {
    const parsed = JSON.parse(value) as { api_url?: unknown; role?: unknown };
    return {
      ...(typeof parsed.api_url === 'string' ? { api_url: parsed.api_url } : {}),
      ...(typeof parsed.role === 'string' ? { role: parsed.role } : {}),
    };
  } catch {
    return {};
  }
}
