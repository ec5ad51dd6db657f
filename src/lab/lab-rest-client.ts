import { type LabNode, type LabTopology, labAddressOf } from '../core/lab/lab-topology.js';
import type { PatroniRestClient } from '../adapters/patroni/rest-client.js';
import { readLocalInstance } from '../node/local-instances.js';
import { patroniRestClientFor } from '../fleet/member-rest-client.js';
import { labNodeInstanceLayout } from './lab-settings.js';

/** The Patroni YAML of a lab node. */
export function labNodeConfigFile(dir: string, topology: LabTopology, node: string): string {
  return labNodeInstanceLayout(dir, topology, node).configFile;
}

/**
 * pgfleet's client for a lab node, from the node's YAML as read now (https,
 * client certificate and basic auth once the REST API is protected), with
 * the URL it uses. Falls back to plain http on the node's port when the YAML
 * cannot be read.
 */
export async function labNodeRestClient(
  dir: string,
  topology: LabTopology,
  node: LabNode,
  timeoutMs: number,
): Promise<{ client: PatroniRestClient; url: string }> {
  const instance = await readLocalInstance(labNodeConfigFile(dir, topology, node.name)).catch(() => undefined);
  if (instance) return { client: patroniRestClientFor(instance, { timeoutMs }), url: instance.restUrl };
  const url = `http://${labAddressOf(topology, node)}:${node.restPort}`;
  return { client: patroniRestClientFor({ apiUrl: url }, { timeoutMs }), url };
}
