import { homedir } from 'node:os';
import { type RestApiProtection } from '../core/restapi/probe-matrix.js';
import { describeProtection, restApiProtectionOf } from '../core/restapi/restapi-protection.js';
import { resolveSitePaths } from '../core/settings/site-paths.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { type RestProbeReport, probeRestApiMatrix } from '../adapters/patroni/rest-probe.js';
import { isRoot } from '../adapters/process/os-user.js';
import { patroniSettingsOf } from '../adapters/settings/instance-config-inputs.js';
import { type LocalInstance, listLocalInstances } from '../node/local-instances.js';
import { patroniRestClientFor } from '../fleet/member-rest-client.js';

/** The members whose YAML pgfleet manages on this host (patroni.configdir). */
export async function localMembers(
  settings: SiteSettings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<LocalInstance[]> {
  patroniSettingsOf(settings, undefined);
  const paths = resolveSitePaths(settings, { isRoot: isRoot(), home: env.HOME || homedir(), env });
  return listLocalInstances(paths.patroniConfigDir, paths.patroniLogDir);
}

export interface MemberRestStatus {
  instance: string;
  scope: string;
  node: string;
  url: string;
  protection: RestApiProtection;
  reachable: boolean;
  role?: string | undefined;
  state?: string | undefined;
  error?: string | undefined;
}

/** Each local member through pgfleet's own client (the credentials of its YAML): reachable, role, state. */
export async function restApiStatus(instances: readonly LocalInstance[]): Promise<MemberRestStatus[]> {
  return Promise.all(
    instances.map(async (instance) => {
      const base = {
        instance: instance.name,
        scope: instance.scope,
        node: instance.node,
        url: instance.restUrl,
        protection: restApiProtectionOf(instance.config.restapi as Record<string, unknown> | undefined),
      };
      const client = patroniRestClientFor(instance, { timeoutMs: 3_000 });
      try {
        const status = await client.nodeStatus();
        return { ...base, reachable: true, role: status.role, state: status.state };
      } catch (error) {
        return { ...base, reachable: false, error: error instanceof Error ? error.message : String(error) };
      } finally {
        await client.close();
      }
    }),
  );
}

export interface MemberProbe {
  instance: string;
  scope: string;
  node: string;
  report: RestProbeReport;
}

/**
 * The probe matrix of each local member, compared with what its YAML asks
 * for: anonymous, CA only, client certificate, password, both (the
 * credentials of its YAML), on GET /patroni and an empty PATCH /config.
 */
export async function probeMembers(instances: readonly LocalInstance[]): Promise<MemberProbe[]> {
  const probes: MemberProbe[] = [];
  for (const instance of instances) {
    const protection = restApiProtectionOf(instance.config.restapi as Record<string, unknown> | undefined);
    probes.push({
      instance: instance.name,
      scope: instance.scope,
      node: instance.node,
      report: await probeRestApiMatrix(instance.restUrl, protection, instance.restCredentials),
    });
  }
  return probes;
}

/** `restapi status` as text: one line a member, its URL, protection, and role and state or why it is unreachable. */
export function renderRestApiStatus(statuses: readonly MemberRestStatus[]): string {
  return statuses.length === 0
    ? 'no Patroni member is managed on this host'
    : statuses
        .map(
          (member) =>
            `${member.scope}/${member.node}  ${member.url}  ${describeProtection(member.protection)}  ${member.reachable ? `${member.role} ${member.state}` : `UNREACHABLE: ${member.error}`}`,
        )
        .join('\n');
}
