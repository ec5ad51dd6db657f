import { instanceLayout } from '../core/instance/instance-layout.js';
import type { LabNode, LabTopology } from '../core/lab/lab-topology.js';
import { resolveSitePaths } from '../core/settings/site-paths.js';
import type { PatroniRestClient } from '../adapters/patroni/rest-client.js';
import { isRoot } from '../adapters/process/os-user.js';
import { readLocalInstance } from '../node/local-instances.js';
import { patroniRestClientFor } from '../fleet/member-rest-client.js';
import { labSiteSettings } from './lab-settings.js';

/** The Patroni YAML of a lab node. */
export function labNodeConfigFile(dir: string, topology: LabTopology, node: string): string {
  const paths = resolveSitePaths(labSiteSettings(dir, topology).settings, { isRoot: isRoot(), home: '/', env: {} });
  return instanceLayout(paths, node).configFile;
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
  const url = `http://${topology.host}:${node.restPort}`;
  return { client: patroniRestClientFor({ apiUrl: url }, { timeoutMs }), url };
}
