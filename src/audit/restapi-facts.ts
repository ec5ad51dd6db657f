import { describeError } from '../core/errors.js';
import type {
  AuditGap,
  DiscoveredCluster,
  PatroniYamlFile,
  RestApiFacts,
  RestProbeResult,
} from '../core/audit/fleet-snapshot.js';
import { clusterOfDocument, memberOfDocument, restapiOf, text } from '../core/audit/patroni-document.js';
import type { ConfigTree } from '../core/patroni-config/deep-merge.js';
import { classifyProbeAttempt } from '../core/restapi/probe-classification.js';
import type { ObservedCell } from '../core/restapi/probe-matrix.js';
import type { CtlSettings } from '../core/settings/site-settings.js';
import type { PatroniRestClient } from '../adapters/patroni/rest-client.js';
import { probeRestApi } from '../adapters/patroni/rest-probe.js';
import { patroniRestClientFor } from '../fleet/member-rest-client.js';
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
export function restApiTargets(
  clusters: readonly DiscoveredCluster[],
  files: readonly PatroniYamlFile[],
): RestApiTarget[] {
  const targets = new Map<string, RestApiTarget>();
  const fileOf = new Map(
    files.filter((file) => file.document).map((file) => [memberOfDocument(file.document!) ?? file.path, file]),
  );
  for (const cluster of clusters) {
    for (const member of cluster.members) {
      if (!member.apiUrl) continue;
      const id = `${cluster.namespace}${cluster.scope}/${member.name}`;
      targets.set(id, {
        member: id,
        url: new URL(member.apiUrl).origin,
        namespace: cluster.namespace,
        scope: cluster.scope,
        configFile: fileOf.get(id)?.path,
        patroniVersion: member.patroniVersion,
      });
    }
  }
  for (const file of files) {
    if (!file.document) continue;
    const id = memberOfDocument(file.document) ?? file.path;
    const restapi = restapiOf(file.document);
    const address = text(restapi.connect_address) ?? text(restapi.listen);
    if (targets.has(id) || !address) continue;
    const cluster = clusterOfDocument(file.document);
    targets.set(id, {
      member: id,
      url: `${text(restapi.certfile) ? 'https' : 'http'}://${address}`,
      namespace: cluster?.namespace,
      scope: cluster?.scope,
      configFile: file.path,
    });
  }
  return [...targets.values()].sort((a, b) => a.member.localeCompare(b.member));
}

export interface RestApiProbeOptions {
  /** The settings' patroni.ctl: what pgfleet presents to a member it has no YAML of. */
  ctl?: CtlSettings | undefined;
  /** Each local member's YAML by path (passwords as Secrets): pgfleet reaches those members as patronictl with that YAML would. */
  documents?: ReadonlyMap<string, ConfigTree> | undefined;
  concurrency?: number | undefined;
  /** Members of one REST API server (host:port) probed at once. */
  perServer?: number | undefined;
  timeoutMs?: number | undefined;
}

/**
 * Patroni 3.0.2's REST API listens with Python's default backlog of 5 and
 * closes every connection after one answer (HTTP/1.0): too many connections
 * at once to one server overflow its accept queue, and each dropped SYN
 * costs the client a one-second retransmission. A member takes at most two
 * connections at a time (the anonymous probes one after the other, pgfleet's
 * read beside them). Measured on 200 members served by 4 lab nodes over TLS
 * (TcpExtListenOverflows): none at 3 members per server, a few at 4,
 * dozens unbounded. Members of a real fleet each have their own server.
 */
const MEMBERS_PER_SERVER = 3;

/**
 * What each member's REST API lets an anonymous client do (GET /patroni,
 * safe, and POST /reload, unsafe but harmless: a reload of an unchanged
 * configuration), through the probe of `restapi probe` with no credentials,
 * and whether pgfleet itself can read it: GET /patroni through the client
 * every pgfleet command builds (member-rest-client.ts). Over plain http at
 * the same URL that read is the anonymous one (certificates play no part
 * and a GET asks for no password), so it is not sent twice. pgfleet does not
 * call an unsafe endpoint with its credentials: that would reload a YAML
 * someone edited without meaning it to apply yet. A member that answers
 * neither anonymous probe is a gap, not a finding.
 */
export async function collectRestApiFacts(
  targets: readonly RestApiTarget[],
  gaps: AuditGap[],
  options: RestApiProbeOptions = {},
): Promise<RestApiFacts[]> {
  const timeoutMs = options.timeoutMs ?? 3_000;
  const spread = {
    keyOf: (target: RestApiTarget) => new URL(target.url).host,
    perKey: options.perServer ?? MEMBERS_PER_SERVER,
  };
  return mapBounded(
    targets,
    options.concurrency ?? 32,
    async (target): Promise<RestApiFacts> => {
      const client = pgfleetClient(target, options, timeoutMs);
      const sameAsAnonymous =
        !(client instanceof Error) && client.baseUrl === target.url && target.url.startsWith('http://');
      const [cells, pgfleet] = await Promise.all([
        probeRestApi(target.url, {}, { clients: ['anonymous'], timeoutMs }),
        sameAsAnonymous ? undefined : readAsPgfleet(client),
      ]).finally(() => (client instanceof Error ? undefined : client.close()));
      const [safe, unsafe] = [cellOf(cells, 'safe'), cellOf(cells, 'unsafe')];
      if (safe.outcome === 'unreachable' && unsafe.outcome === 'unreachable')
        gaps.push({
          what: `REST API of ${target.member}`,
          reason: `${target.url} did not answer (${safe.detail ?? 'unreachable'})`,
        });
      if (client instanceof Error)
        gaps.push({ what: `pgfleet's own access to the REST API of ${target.member}`, reason: describeError(client) });
      return {
        ...target,
        ...(pgfleet?.version && !target.patroniVersion ? { patroniVersion: pgfleet.version } : {}),
        safe,
        unsafe,
        pgfleet: pgfleet?.result ?? safe,
      };
    },
    spread,
  );
}

/**
 * The client pgfleet uses for the member, from the one builder of every
 * pgfleet command: its YAML as patronictl reads it, else its api_url with
 * the settings' patroni.ctl. An Error when it cannot be built (a certificate
 * file this user cannot read): a gap of the audit, not the member's doing.
 */
function pgfleetClient(
  target: RestApiTarget,
  options: RestApiProbeOptions,
  timeoutMs: number,
): PatroniRestClient | Error {
  const config = target.configFile ? options.documents?.get(target.configFile) : undefined;
  try {
    return patroniRestClientFor(config ? { config } : { apiUrl: target.url }, { ctl: options.ctl, timeoutMs });
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** GET /patroni with pgfleet's own client; the member's Patroni version when it answers. */
async function readAsPgfleet(
  client: PatroniRestClient | Error,
): Promise<{ result: RestProbeResult; version?: string | undefined }> {
  if (client instanceof Error) return { result: { outcome: 'skipped', detail: describeError(client) } };
  try {
    const answer = await client.send<{ patroni?: { version?: unknown } }>('GET', '/patroni');
    const version =
      answer.body && typeof answer.body === 'object' && typeof answer.body.patroni?.version === 'string'
        ? answer.body.patroni.version
        : undefined;
    return { result: classifyProbeAttempt({ kind: 'response', status: answer.status, body: answer.text }), version };
  } catch (error) {
    return {
      result: classifyProbeAttempt({ kind: 'error', codes: transportCodes(error), message: describeError(error) }),
    };
  }
}

function transportCodes(error: unknown): string[] {
  const codes: string[] = [];
  for (let cause = (error as { cause?: unknown }).cause; cause; cause = (cause as { cause?: unknown }).cause) {
    const code = (cause as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
  }
  return codes;
}

function cellOf(cells: readonly ObservedCell[], endpoint: 'safe' | 'unsafe'): RestProbeResult {
  const cell = cells.find((candidate) => candidate.endpoint === endpoint);
  return cell ? { outcome: cell.outcome, status: cell.status, detail: cell.detail } : { outcome: 'skipped' };
}
