import { PgfleetError } from '../core/errors.js';
import type { RoleCredentials } from '../core/patroni-config/instance-spec.js';
import type { PatroniFeatures } from '../core/patroni-config/patroni-features.js';
import { hostOfAddress, secureCertificateUses } from '../core/restapi/secure-certificates.js';
import {
  type MemberRole,
  type SecureMemberInput,
  type SecurePhase,
  type SecurePlan,
  type SecurePlanWarning,
  planRestApiSecuring,
} from '../core/restapi/secure-plan.js';
import type { PatroniSettings, SiteSettings } from '../core/settings/site-settings.js';
import { readSecretFile } from '../adapters/fs/secret-file.js';
import { detectPatroniFeatures } from '../adapters/patroni/patroni-binary.js';
import { findPatroniProcess } from '../adapters/patroni/patroni-process-lookup.js';
import { checkTlsLoadAs } from '../adapters/patroni/tls-load-check.js';
import {
  type CertificateCheck,
  assertCertificateChecks,
  checkCertificateFiles,
} from '../adapters/pki/certificate-checks.js';
import { patroniSettingsOf } from '../adapters/settings/instance-config-inputs.js';
import type { LocalInstance } from '../node/local-instances.js';
import { patroniRestClientFor } from '../fleet/member-rest-client.js';
import { localMembers } from './restapi-status.js';

export interface SecurePlanRequest {
  settings: SiteSettings;
  /** Where the settings came from, for messages. */
  settingsSource?: string | undefined;
  /** Overrides patroni.restapi.authentication: the user and the 0600 password file ({scope} is replaced). */
  authentication?: { username?: string | undefined; passwordFile: string } | undefined;
  /** Plan only up to this phase (clusters spread over several hosts go phase by phase on every host). */
  through?: SecurePhase | undefined;
  env?: NodeJS.ProcessEnv | undefined;
  now?: Date | undefined;
}

/** A plan and everything apply needs to carry it out. */
export interface PreparedSecurePlan {
  plan: SecurePlan;
  patroni: PatroniSettings;
  features: PatroniFeatures;
  instances: LocalInstance[];
  certificateChecks: CertificateCheck[];
}

/**
 * Reads the target (settings, password files), the members managed on this
 * host (their YAML and live role), plans, then checks every certificate file
 * the plan brings in and that each Patroni can load it as its own user.
 * Throws on the first problem; nothing is written.
 */
export async function prepareRestApiSecuring(request: SecurePlanRequest): Promise<PreparedSecurePlan> {
  const env = request.env ?? process.env;
  const patroni = patroniSettingsOf(request.settings, request.settingsSource);
  const instances = await localMembers(request.settings, env);
  const members: SecureMemberInput[] = [];
  const elsewhere = new Set<string>();
  for (const instance of instances) {
    const live = await liveMember(instance);
    members.push({
      instance: instance.name,
      configFile: instance.configFile,
      scope: instance.scope,
      node: instance.node,
      role: live.role,
      config: instance.config,
    });
    for (const peer of live.peers)
      if (!instances.some((local) => local.scope === instance.scope && local.node === peer))
        elsewhere.add(`${instance.scope}/${peer}`);
  }

  const features = await detectPatroniFeatures(patroni.execpath);
  const authentication = await targetAuthentication(patroni, request.authentication, [
    ...new Set(instances.map((instance) => instance.scope)),
  ]);
  const plan = planRestApiSecuring(
    members,
    { settings: patroni, authentication, features },
    { through: request.through },
  );
  if (elsewhere.size > 0) plan.warnings.push(membersElsewhereWarning([...elsewhere]));

  const hosts = instances.map((instance) =>
    hostOfAddress(String((instance.config.restapi as Record<string, unknown> | undefined)?.connect_address ?? '')),
  );
  const certificateChecks: CertificateCheck[] = [];
  for (const use of secureCertificateUses(patroni, hosts))
    certificateChecks.push(...(await checkCertificateFiles({ ...use, now: request.now })));
  assertCertificateChecks(certificateChecks);
  plan.warnings.push(...certificateWarnings(certificateChecks));

  await checkPatroniCanLoad(plan, patroni, instances);
  return { plan, patroni, features, instances, certificateChecks };
}

/** Every member must answer and run before anything changes: its role orders the steps; its cluster shows who lives elsewhere. */
async function liveMember(instance: LocalInstance): Promise<{ role: MemberRole; peers: string[] }> {
  const client = patroniRestClientFor(instance, { timeoutMs: 5_000 });
  try {
    const status = await client.nodeStatus();
    const peers = (await client.cluster()).members
      .map((member) => member.name)
      .filter((name) => name !== instance.node);
    if (status.state !== 'running') {
      throw new PgfleetError(
        'REST_SECURE_MEMBER_NOT_RUNNING',
        `member ${instance.scope}/${instance.node} (${instance.configFile}) is ${status.state}, not running`,
        {
          hint: 'secure a healthy fleet: wait until every member runs (pgfleet lab status / patronictl list), then plan again',
          exitCode: 4,
        },
      );
    }
    return { role: status.role === 'master' || status.role === 'primary' ? 'leader' : 'replica', peers };
  } catch (error) {
    if (error instanceof PgfleetError && error.code === 'REST_SECURE_MEMBER_NOT_RUNNING') throw error;
    throw new PgfleetError(
      'REST_SECURE_MEMBER_UNREACHABLE',
      `member ${instance.scope}/${instance.node}: ${error instanceof Error ? error.message : String(error)}`,
      {
        hint: 'pgfleet reaches each member with the credentials of its own YAML, as patronictl does; fix that member first. If its YAML was rewritten but Patroni never reloaded it (an apply killed mid-step), reload it: kill -HUP its Patroni',
        exitCode: 4,
      },
    );
  } finally {
    await client.close();
  }
}

/** Basic auth per cluster from a 0600 password file ({scope} replaced), when the target has it. */
async function targetAuthentication(
  patroni: PatroniSettings,
  override: SecurePlanRequest['authentication'],
  scopes: string[],
): Promise<Map<string, RoleCredentials> | undefined> {
  const configured = patroni.restapi.authentication;
  const passwordFile = override?.passwordFile ?? configured?.password_file;
  if (!passwordFile) return undefined;
  const username = override?.username ?? configured?.username ?? 'patroni';
  const source = override ? '--password-file' : 'patroni.restapi.authentication.password_file';
  const credentials = new Map<string, RoleCredentials>();
  for (const scope of scopes) {
    const file = passwordFile.replaceAll('{scope}', scope);
    credentials.set(scope, {
      username,
      password: await readSecretFile(file, `REST API password of cluster ${scope} (${source})`),
    });
  }
  return credentials;
}

/** Members of the same clusters that other hosts manage: each phase must reach them too before the next. */
function membersElsewhereWarning(members: string[]): SecurePlanWarning {
  return {
    code: 'REST_SECURE_MEMBERS_ELSEWHERE',
    message: `${members.join(', ')} ${members.length === 1 ? 'is' : 'are'} managed on another host: this run changes only the members of this host`,
    hint: 'go phase by phase on every host: restapi secure apply --through client on each host, then --through server-tls, verify-client, and finally without --through',
  };
}

function certificateWarnings(checks: readonly CertificateCheck[]): SecurePlanWarning[] {
  return checks
    .filter((check) => check.warning)
    .map((check) => ({
      code: 'PKI_CERT_EXPIRES_SOON',
      message: check.warning!,
      hint: 'renew it before it expires: every member would refuse it at once',
    }));
}

/**
 * Patroni 3.0.2 closes its REST API socket before loading new TLS files:
 * if the load fails the API stays dead until Patroni restarts. So every
 * member's Patroni must be able to load the files, as its own user and in
 * its own Python, before its YAML names them.
 */
async function checkPatroniCanLoad(
  plan: SecurePlan,
  patroni: PatroniSettings,
  instances: readonly LocalInstance[],
): Promise<void> {
  const serverChange = new Set(plan.steps.filter((step) => step.phase === 'server-tls').map((step) => step.configFile));
  const clientChange = new Set(plan.steps.filter((step) => step.phase === 'client').map((step) => step.configFile));
  for (const instance of instances) {
    if (!serverChange.has(instance.configFile) && !clientChange.has(instance.configFile)) continue;
    const running = await findPatroniProcess(instance.configFile);
    const identity = running ?? { uid: instance.owner.uid, gid: instance.owner.gid, groups: [] };
    const loads = [
      ...(serverChange.has(instance.configFile)
        ? [
            {
              side: 'server' as const,
              cafile: patroni.restapi.cafile,
              certfile: patroni.restapi.certfile,
              keyfile: patroni.restapi.keyfile,
              what: 'patroni.restapi cafile/certfile/keyfile',
            },
          ]
        : []),
      ...(clientChange.has(instance.configFile) && patroni.ctl
        ? [
            {
              side: 'client' as const,
              cafile: patroni.ctl.cacert,
              certfile: patroni.ctl.certfile,
              keyfile: patroni.ctl.keyfile,
              what: 'patroni.ctl cacert/certfile/keyfile',
            },
          ]
        : []),
    ];
    for (const load of loads) {
      const result = await checkTlsLoadAs(patroni.execpath, identity, load);
      if (!result.ok) {
        throw new PgfleetError(
          'REST_SECURE_PATRONI_CANNOT_LOAD_TLS',
          `the Patroni of ${instance.scope}/${instance.node} (uid ${identity.uid}) cannot load ${load.what}: ${result.error}`,
          {
            hint: 'make the files readable by the user Patroni runs as (e.g. owned by it, keys 0600) and check the certificate matches its key; Patroni 3.0.2 loses its REST API until restarted when a reload fails to load them',
            details: {
              member: `${instance.scope}/${instance.node}`,
              uid: identity.uid,
              side: load.side,
              files: { cafile: load.cafile, certfile: load.certfile, keyfile: load.keyfile },
            },
          },
        );
      }
    }
  }
}
