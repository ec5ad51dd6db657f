import type { AuditGap, DiscoveredCluster, PatroniYamlFile, RestApiFacts, RestProbeResult } from '../core/audit/fleet-snapshot.js';
import { clusterOfDocument, memberOfDocument, restapiOf, text } from '../core/audit/patroni-document.js';
import type { ObservedCell } from '../core/restapi/probe-matrix.js';
import { probeRestApi } from '../adapters/patroni/rest-probe.js';
import { mapBounded } from './bounded-map.js';

/** A member whose REST API the audit probes, from the DCS (any host) or a local YAML. */
export interface RestApiTarget {
  member: string;
  url: string;
  namespace?: string | undefined;
  scope?: string | undefined;
  configFile?: string | undefined;
  patroniVersion?: string | undefined;
}

/** Members from the DCS first (their api_url is what the fleet uses), then local YAMLs the DCS does not list. */
export function restApiTargets(clusters: readonly DiscoveredCluster[], files: readonly PatroniYamlFile[]): RestApiTarget[] {
  const targets = new Map<string, RestApiTarget>();
  const fileOf = new Map(files.filter((file) => file.document).map((file) => [memberOfDocument(file.document!) ?? file.path, file]));
  for (const cluster of clusters) {
    for (const member of cluster.members) {
      if (!member.apiUrl) continue;
      const id = `${cluster.namespace}${cluster.scope}/${member.name}`;
      targets.set(id, { member: id, url: new URL(member.apiUrl).origin, namespace: cluster.namespace, scope: cluster.scope, configFile: fileOf.get(id)?.path, patroniVersion: member.patroniVersion });
    }
  }
  for (const file of files) {
    if (!file.document) continue;
    const id = memberOfDocument(file.document) ?? file.path;
    const restapi = restapiOf(file.document);
    const address = text(restapi.connect_address) ?? text(restapi.listen);
    if (targets.has(id) || !address) continue;
    const cluster = clusterOfDocument(file.document);
    targets.set(id, { member: id, url: `${text(restapi.certfile) ? 'https' : 'http'}://${address}`, namespace: cluster?.namespace, scope: cluster?.scope, configFile: file.path });
  }
  return [...targets.values()].sort((a, b) => a.member.localeCompare(b.member));
}

/**
 * What an anonymous client can do on each member: GET /patroni (safe) and
 * POST /reload (unsafe, harmless: a reload of an unchanged configuration).
 * A member that does not answer is a gap, not a finding.
 */
export async function collectRestApiFacts(targets: readonly RestApiTarget[], gaps: AuditGap[], options: { concurrency?: number; timeoutMs?: number } = {}): Promise<RestApiFacts[]> {
  const facts = await mapBounded(targets, options.concurrency ?? 32, async (target): Promise<RestApiFacts> => {
    const cells = await probeRestApi(target.url, {}, { clients: ['anonymous'], timeoutMs: options.timeoutMs ?? 3_000 });
    const [safe, unsafe] = [cellOf(cells, 'safe'), cellOf(cells, 'unsafe')];
    if (safe.outcome === 'unreachable' && unsafe.outcome === 'unreachable') gaps.push({ what: `REST API of ${target.member}`, reason: `${target.url} did not answer (${safe.detail ?? 'unreachable'})` });
    return { ...target, safe, unsafe };
  });
  return facts;
}

function cellOf(cells: readonly ObservedCell[], endpoint: 'safe' | 'unsafe'): RestProbeResult {
  const cell = cells.find((candidate) => candidate.endpoint === endpoint);
  return cell ? { outcome: cell.outcome, status: cell.status, detail: cell.detail } : { outcome: 'skipped' };
}
