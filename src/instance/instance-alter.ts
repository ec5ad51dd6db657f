import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, PgfleetError } from '../core/errors.js';
import type { PreflightReport } from '../core/instance/dcs-preflight.js';
import {
  type AlterPlan,
  type InstanceAlterRequest,
  alterTouchesDcs,
  isEmptyAlterRequest,
  planInstanceAlter,
} from '../core/instance/alter-plan.js';
import type { ConfigChange } from '../core/instance/config-changes.js';
import { settingsDerivedValues } from '../core/instance/settings-derived-keys.js';
import { withSecretValues } from '../core/patroni-config/config-secrets.js';
import type { ConfigTree } from '../core/patroni-config/deep-merge.js';
import { readPassword } from '../adapters/settings/instance-secret-files.js';
import type { Secret } from '../core/secret.js';
import { writePatroniConfigFile } from '../adapters/patroni/config-file.js';
import type { PatroniRestClient } from '../adapters/patroni/rest-client.js';
import { optionalEtcdAdminCredentials } from '../adapters/settings/etcd-access.js';
import { preflightGate } from './preflight-gate.js';
import { configDcs } from './instance-dcs.js';
import { restClientOf, serviceOf, unsafeCallError } from './instance-lifecycle.js';
import type { InstanceSite, ManagedInstance } from './instance-site.js';

/** A user and where its password is: a 0600 file, or an environment variable. */
export interface PasswordSource {
  username: string;
  file?: string | undefined;
  env?: string | undefined;
}

/** `instance alter` as given: the changes, with passwords still where they are kept. */
export interface AlterInstanceRequest {
  changes: Omit<InstanceAlterRequest, 'etcdCredentials' | 'restapiAuthentication' | 'settingsValues'>;
  etcd?: PasswordSource | undefined;
  restapiAuthentication?: PasswordSource | null | undefined;
  applySettings: boolean;
  skipPreflight: boolean;
  dryRun: boolean;
  /** Wait for Patroni's next cycle and report members with a pending restart. */
  wait: boolean;
  onStep: (message: string) => void;
  onWarning: (message: string) => void;
}

export interface AlterResult {
  name: string;
  dryRun: boolean;
  configFile: string;
  localChanges: ConfigChange[];
  dynamicChanges: ConfigChange[];
  /** The YAML was rewritten (atomically, 0600). */
  written: boolean;
  /** POST /reload was sent. */
  reloaded: boolean;
  /** PATCH /config was sent. */
  patched: boolean;
  /** Whether the Patroni daemon must be restarted for the local changes, and why. */
  patroniRestart: { needed: boolean; reasons: string[] };
  /** Members whose PostgreSQL waits for a restart (pending_restart), seen after the change; null when not waited for. */
  pendingRestart: string[] | null;
  notes: string[];
  preflight: PreflightReport | null;
}

/**
 * `pgfleet instance alter`: local changes rewrite the YAML atomically (mode
 * 0600 and owner kept, validated) then POST /reload; dynamic ones go through
 * PATCH /config on the cluster's REST API. New etcd credentials pass the
 * pre-flight first. Says when Patroni itself must restart, and which members
 * wait for a PostgreSQL restart.
 */
export async function alterInstance(
  site: InstanceSite,
  instance: ManagedInstance,
  request: AlterInstanceRequest,
): Promise<AlterResult> {
  const { local } = instance;
  const etcdPassword = request.etcd
    ? await requiredPassword(request.etcd, 'etcd password (--patroni-etcd-password-file)', site.env)
    : undefined;
  const restapiPassword = request.restapiAuthentication
    ? await requiredPassword(
        request.restapiAuthentication,
        'REST API password (--patroni-restapi-authentication-password-file)',
        site.env,
      )
    : undefined;
  const changes: InstanceAlterRequest = {
    ...request.changes,
    ...(request.etcd && etcdPassword
      ? { etcdCredentials: { username: request.etcd.username, password: etcdPassword } }
      : {}),
    ...(request.restapiAuthentication === null ? { restapiAuthentication: null } : {}),
    ...(request.restapiAuthentication && restapiPassword
      ? { restapiAuthentication: { username: request.restapiAuthentication.username, password: restapiPassword } }
      : {}),
    ...(request.applySettings ? { settingsValues: settingsDerivedValues(site.patroni, local.config) } : {}),
  };
  if (isEmptyAlterRequest(changes)) {
    throw new PgfleetError('INSTANCE_ALTER_NOTHING', 'nothing to change', {
      hint: 'give --parameter, --reset-parameter, --hba-add, --hba-remove, credentials, REST API addresses or --apply-settings',
    });
  }
  if (request.applySettings && site.patroni.etcd.namespace !== local.namespace) {
    request.onWarning(
      `the settings' namespace ${site.patroni.etcd.namespace} differs from the instance's ${local.namespace}: not applied (it would move the member to another cluster's keys)`,
    );
  }

  let preflight: PreflightReport | null = null;
  if (changes.etcdCredentials) {
    const dcs = configDcs(local.config, local.namespace, local.scope);
    preflight = await preflightGate(
      {
        endpoints: dcs.endpoints,
        tls: dcs.tls,
        namespace: dcs.namespace,
        scope: dcs.scope,
        credentials: changes.etcdCredentials,
        admin: await optionalEtcdAdminCredentials(site.settings, site.env),
      },
      {
        skip: request.skipPreflight,
        nothingDone: `the YAML of ${instance.name} is unchanged`,
        onStep: request.onStep,
        onWarning: request.onWarning,
      },
    );
  }

  const modes = site.patroni.configuration_mode;
  const rest = restClientOf(instance);
  try {
    const needsDcs = alterTouchesDcs(changes, modes);
    let dynamicConfig = needsDcs ? await readDynamicConfig(instance, rest) : undefined;
    let plan = planInstanceAlter({ config: local.config, dynamicConfig, request: changes, modes });
    for (const note of plan.notes) request.onStep(`note: ${note}`);
    const result: AlterResult = {
      name: instance.name,
      dryRun: request.dryRun,
      configFile: local.configFile,
      localChanges: plan.localChanges,
      dynamicChanges: plan.dynamicChanges,
      written: false,
      reloaded: false,
      patched: false,
      patroniRestart: plan.restart,
      pendingRestart: null,
      notes: plan.notes,
      preflight,
    };
    if (request.dryRun) return result;

    if (plan.dynamicPatch) {
      let answer = await rest.patchConfig(plan.dynamicPatch);
      if (answer.status === 409) {
        // A concurrent change of /config (compare-and-set): plan again on what is there now, once.
        dynamicConfig = await readDynamicConfig(instance, rest);
        plan = planInstanceAlter({ config: local.config, dynamicConfig, request: changes, modes });
        result.dynamicChanges = plan.dynamicChanges;
        answer = plan.dynamicPatch ? await rest.patchConfig(plan.dynamicPatch) : answer;
      }
      if (answer.status !== 200) throw unsafeCallError(instance, 'PATCH /config', answer.status, answer.text);
      result.patched = true;
      request.onStep(
        `PATCH /config: ${plan.dynamicChanges.length} change(s) in the dynamic configuration of cluster ${local.scope}`,
      );
    }

    if (plan.localConfig) {
      await writeLocalConfig(site, instance, plan);
      result.written = true;
      request.onStep(`${local.configFile} rewritten (${plan.localChanges.length} change(s))`);
      if (plan.localChanges.some((change) => /^etcd3?\.(username|password)$/.test(change.path))) {
        request.onStep(
          'note: Patroni re-reads the etcd credentials on reload but keeps its current token: it authenticates with the new ones at its next authentication error (e.g. when etcd auth is switched on or the token expires)',
        );
      }
      const running = (await serviceOf(site, instance).runningPid()) !== undefined;
      if (running) {
        const answer = await rest.reload();
        if (answer.status !== 202 && answer.status !== 200)
          throw unsafeCallError(instance, 'POST /reload', answer.status, answer.text);
        result.reloaded = true;
        request.onStep('POST /reload: Patroni re-reads the YAML at its next cycle');
      } else request.onWarning(`Patroni of ${instance.name} does not run: the change applies when it starts`);
      if (plan.restart.needed) {
        request.onWarning(
          `Patroni must be restarted for part of this change: ${plan.restart.reasons.join('; ')}. Run \`pgfleet instance restart ${instance.name} --patroni\``,
        );
      }
    }

    if (request.wait && (result.patched || result.reloaded)) {
      result.pendingRestart = await pendingRestartAfterCycle(rest, dynamicConfig, request.onStep);
      if (result.pendingRestart.length > 0) {
        request.onWarning(
          `PostgreSQL restart pending on ${result.pendingRestart.join(', ')}: run \`pgfleet instance restart ${instance.name} --pending\``,
        );
      }
    }
    return result;
  } finally {
    await rest.close();
  }
}

async function readDynamicConfig(instance: ManagedInstance, rest: PatroniRestClient): Promise<ConfigTree> {
  try {
    return await rest.dynamicConfig();
  } catch (error) {
    throw new PgfleetError(
      'INSTANCE_DYNAMIC_CONFIG_UNREADABLE',
      `cannot read the dynamic configuration of cluster ${instance.local.scope} (GET /config on ${instance.local.restUrl}): ${error instanceof Error ? error.message : String(error)}`,
      {
        hint: `dynamic changes go through the cluster's REST API: start the instance (\`pgfleet instance start ${instance.name}\`)`,
        exitCode: ExitCode.failed,
      },
    );
  }
}

async function writeLocalConfig(site: InstanceSite, instance: ManagedInstance, plan: AlterPlan): Promise<void> {
  await writePatroniConfigFile(instance.local.configFile, withSecretValues(plan.localConfig!), {
    owner: instance.local.owner,
    validation: { execpath: site.patroni.execpath, enforce: site.patroni.enforce_config_validation },
  });
}

/**
 * Members apply a reload or a new dynamic configuration at their next HA
 * cycle (at most loop_wait seconds): wait that long, then read which members
 * report pending_restart (GET /cluster).
 */
async function pendingRestartAfterCycle(
  rest: PatroniRestClient,
  dynamicConfig: ConfigTree | undefined,
  onStep: (message: string) => void,
): Promise<string[]> {
  const config = dynamicConfig ?? (await rest.dynamicConfig().catch(() => ({}) as ConfigTree));
  const loopWait = typeof config.loop_wait === 'number' ? config.loop_wait : 10;
  onStep(`waiting for Patroni's next cycle (loop_wait ${loopWait} s)`);
  await sleep((loopWait + 2) * 1000);
  const cluster = await rest.cluster().catch(() => undefined);
  return (cluster?.members ?? [])
    .filter((member) => (member as { pending_restart?: boolean }).pending_restart === true)
    .map((member) => member.name);
}

async function requiredPassword(source: PasswordSource, what: string, env: NodeJS.ProcessEnv): Promise<Secret> {
  const password = await readPassword(source, what, env);
  if (!password)
    throw new PgfleetError(
      'INSTANCE_OPTION_MISSING_PASSWORD_FILE',
      `${what}: no password file given for user ${source.username}`,
      { hint: 'give the password file option (a 0600 file; passwords are never command-line arguments)' },
    );
  return password;
}
