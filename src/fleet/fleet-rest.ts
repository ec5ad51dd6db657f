import type { FleetMember } from '../core/migration/fleet-member.js';
import { memberId } from '../core/migration/fleet-member.js';
import type { PatroniRestClient, PatroniRestCredentials } from '../adapters/patroni/rest-client.js';
import type { LocalInstance } from '../node/local-instances.js';
import { patroniRestClientFor, restClientWithAccess } from './member-rest-client.js';

/**
 * REST clients for every member: a member managed on this host is reached
 * with the credentials in its own YAML, any other with pgfleet's own
 * (settings: patroni.ctl).
 */
export class FleetRestClients {
  readonly #clients = new Map<string, PatroniRestClient>();

  constructor(
    private readonly localInstances: LocalInstance[],
    private readonly defaultCredentials: PatroniRestCredentials = {},
  ) {}

  /** The client for a member; `timeoutMs` (default 5 s) for calls that may wait on etcd, such as the write probe. */
  for(member: FleetMember, timeoutMs = 5_000): PatroniRestClient {
    const key = `${memberId(member)} ${timeoutMs}`;
    let client = this.#clients.get(key);
    if (!client) {
      const local = this.localInstances.find(
        (instance) =>
          instance.scope === member.scope && instance.namespace === member.namespace && instance.node === member.name,
      );
      const url = local?.restUrl ?? member.apiUrl?.replace(/\/patroni$/, '') ?? '';
      client = local
        ? patroniRestClientFor(local, { timeoutMs })
        : restClientWithAccess(
            { ...this.defaultCredentials, baseUrl: url, insecure: this.defaultCredentials.insecure === true },
            timeoutMs,
          );
      this.#clients.set(key, client);
    }
    return client;
  }

  async close(): Promise<void> {
    await Promise.all([...this.#clients.values()].map((client) => client.close()));
    this.#clients.clear();
  }
}

export function clusterKey(member: Pick<FleetMember, 'namespace' | 'scope'>): string {
  return `${member.namespace}${member.scope}`;
}

export function groupByCluster(members: FleetMember[]): Map<string, FleetMember[]> {
  const clusters = new Map<string, FleetMember[]>();
  for (const member of members) {
    const key = clusterKey(member);
    clusters.set(key, [...(clusters.get(key) ?? []), member]);
  }
  return clusters;
}
