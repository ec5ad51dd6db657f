import { PgfleetError } from '../core/errors.js';
import { instanceEnvironment, renderShellExports } from '../core/instance/instance-environment.js';
import { ETCD_PASSWORD_ENV, RESTAPI_PASSWORD_ENV } from '../core/instance/password-environment.js';
import { checkPgHbaLine } from '../core/instance/pg-hba-lines.js';
import {
  checkDistinctParameters,
  checkParameterName,
  parseParameterAssignment,
} from '../core/instance/postgresql-parameters.js';
import type { InstanceService } from '../core/instance/instance-record.js';
import type { Interruption, OperationOutcome, OperationProgress } from '../core/operation-outcome.js';
import { type PatroniInstanceValues, patroniInstanceOptionsOf } from '../core/patroni-config/instance-options.js';
import { loadSiteSettings } from '../adapters/settings/site-settings-file.js';
import { type PasswordSource, alterInstance } from './instance-alter.js';
import { createInstance } from './instance-create.js';
import { dropInstance } from './instance-drop.js';
import {
  reloadInstance,
  restartPatroniDaemon,
  restartPostgresql,
  startInstance,
  stopInstance,
} from './instance-lifecycle.js';
import { followInstanceLog, instanceLogTail } from './instance-logs.js';
import { type InstanceSite, loadManagedInstance, openInstanceSite } from './instance-site.js';
import { instanceStatusByName, listInstances } from './instance-status.js';
import {
  renderAlter,
  renderCreated,
  renderDropped,
  renderList,
  renderRestarted,
  renderStatus,
} from './instance-text.js';

/**
 * `pgfleet instance ...` as the CLI (and any caller) runs it. Each operation
 * takes the settings file named by --settings and loads it itself, after the
 * checks that need no settings: a wrong option is reported before a settings
 * problem.
 */
export type SettingsFile = string | undefined;

/** The settings and the site as `pgfleet instance` sees it. */
function openSite(settingsFile: SettingsFile): InstanceSite {
  return openInstanceSite(loadSiteSettings(settingsFile));
}

/** The site and one of its instances, by name. */
async function openInstance(settingsFile: SettingsFile, name: string) {
  const site = openSite(settingsFile);
  return { site, instance: await loadManagedInstance(site, name) };
}

const reporting = (progress: OperationProgress) => ({
  onStep: (message: string) => progress.step(message),
  onWarning: (message: string) => progress.warn(message),
});

/** `instance create` as given on the command line. */
export interface InstanceCreateRequest extends PatroniInstanceValues {
  superuserPasswordFile?: string | undefined;
  replicationPasswordFile?: string | undefined;
  rewindPasswordFile?: string | undefined;
  parameter: string[];
  hbaAdd: string[];
  service: InstanceService;
  skipPreflight: boolean;
  /** Seconds. */
  timeout: number;
}

/**
 * create; an interruption (Ctrl-C) while Patroni starts stops the wait and
 * undoes the create instead of leaving a half-made instance.
 */
export async function createInstanceFromSettings(
  settingsFile: SettingsFile,
  name: string,
  request: InstanceCreateRequest,
  options: { interruption: Interruption; progress: OperationProgress },
): Promise<OperationOutcome> {
  const parameters = request.parameter.map((text) => parseParameterAssignment(text));
  checkDistinctParameters(parameters, []);
  const site = openSite(settingsFile);
  const interruption = options.interruption(() => {});
  try {
    const created = await createInstance({
      site,
      options: {
        ...patroniInstanceOptionsOf(name, request),
        ...(request.patroniEtcdPasswordFile === undefined && process.env[ETCD_PASSWORD_ENV]
          ? { patroniEtcdPasswordEnv: ETCD_PASSWORD_ENV }
          : {}),
        ...(request.patroniRestapiAuthenticationPasswordFile === undefined && process.env[RESTAPI_PASSWORD_ENV]
          ? { patroniRestapiAuthenticationPasswordEnv: RESTAPI_PASSWORD_ENV }
          : {}),
      },
      roleFiles: {
        superuser: request.superuserPasswordFile,
        replication: request.replicationPasswordFile,
        rewind: request.rewindPasswordFile,
      },
      parameters,
      extraPgHba: request.hbaAdd.map((line) => checkPgHbaLine(line, '--hba-add')),
      service: request.service,
      skipPreflight: request.skipPreflight,
      timeoutMs: request.timeout * 1000,
      signal: interruption.signal,
      ...reporting(options.progress),
    });
    return { data: created, text: () => renderCreated(created) };
  } finally {
    interruption.stop();
  }
}

export async function listSiteInstances(settingsFile: SettingsFile): Promise<OperationOutcome> {
  const entries = await listInstances(openSite(settingsFile));
  return { data: entries, text: () => renderList(entries) };
}

export async function showInstanceStatus(settingsFile: SettingsFile, name: string): Promise<OperationOutcome> {
  const status = await instanceStatusByName(openSite(settingsFile), name);
  return { data: status, text: () => renderStatus(status) };
}

export async function startSiteInstance(
  settingsFile: SettingsFile,
  name: string,
  options: { timeout: number; progress: OperationProgress },
): Promise<OperationOutcome> {
  const { site, instance } = await openInstance(settingsFile, name);
  const started = await startInstance(site, instance, {
    timeoutMs: options.timeout * 1000,
    onState: (state) => options.progress.step(`  Patroni: ${state}`),
  });
  return {
    data: started,
    text: () => `${name}: ${started.alreadyRunning ? 'already running' : 'started'}, ${started.role}, ${started.state}`,
  };
}

export async function stopSiteInstance(settingsFile: SettingsFile, name: string): Promise<OperationOutcome> {
  const { site, instance } = await openInstance(settingsFile, name);
  const stopped = await stopInstance(site, instance);
  return { data: stopped, text: () => `${name}: ${stopped.wasRunning ? 'stopped' : 'was not running'}` };
}

/** restart: PostgreSQL through Patroni (this member, or every member with a pending restart), or the Patroni daemon. */
export async function restartSiteInstance(
  settingsFile: SettingsFile,
  name: string,
  options: { pending: boolean; patroni: boolean; timeout: number; progress: OperationProgress },
): Promise<OperationOutcome> {
  if (options.pending && options.patroni)
    throw new PgfleetError('USAGE', '--pending and --patroni cannot go together', {
      hint: 'restart the Patroni daemon, or the members with a pending restart, not both at once',
    });
  const { site, instance } = await openInstance(settingsFile, name);
  if (options.patroni) {
    const restarted = await restartPatroniDaemon(site, instance, {
      timeoutMs: options.timeout * 1000,
      onState: (state) => options.progress.step(`  Patroni: ${state}`),
    });
    return {
      data: restarted,
      text: () =>
        `${name}: Patroni restarted${restarted.postgresqlKept ? ' (its cluster paused: PostgreSQL kept running)' : ''}, ${restarted.role}, ${restarted.state}`,
    };
  }
  const members = await restartPostgresql(instance, {
    pending: options.pending,
    timeoutMs: options.timeout * 1000,
    onStep: (m) => options.progress.step(m),
  });
  return { data: { name, members }, text: () => renderRestarted(name, members) };
}

export async function reloadSiteInstance(settingsFile: SettingsFile, name: string): Promise<OperationOutcome> {
  const { instance } = await openInstance(settingsFile, name);
  const reloaded = await reloadInstance(instance);
  return { data: reloaded, text: () => `${name}: ${reloaded.answer || 'reload scheduled'}` };
}

/** `instance alter` as given on the command line. */
export interface InstanceAlterRequest {
  parameter: string[];
  resetParameter: string[];
  hbaAdd: string[];
  hbaRemove: string[];
  patroniEtcdUsername?: string | undefined;
  patroniEtcdPasswordFile?: string | undefined;
  patroniRestapiAuthenticationUsername?: string | undefined;
  patroniRestapiAuthenticationPasswordFile?: string | undefined;
  removePatroniRestapiAuthentication: boolean;
  patroniRestapiListen?: string | undefined;
  patroniRestapiConnectAddress?: string | undefined;
  applySettings: boolean;
  skipPreflight: boolean;
  dryRun: boolean;
  wait: boolean;
}

/**
 * A new user and where its password is: a file, else the environment
 * variable. A password file without its user, or a user without a password
 * anywhere, is refused.
 */
function passwordSource(
  username: string | undefined,
  file: string | undefined,
  env: string,
  fileOption: string,
  userOption: string,
): PasswordSource | undefined {
  if (username === undefined) {
    if (file !== undefined)
      throw new PgfleetError('INSTANCE_OPTION_MISSING_USERNAME', `${fileOption} is given without ${userOption}`, {
        hint: `give ${userOption} NAME as well`,
      });
    return undefined;
  }
  if (file === undefined && !process.env[env])
    throw new PgfleetError('INSTANCE_OPTION_MISSING_PASSWORD_FILE', `${userOption} is given without ${fileOption}`, {
      hint: `give ${fileOption} FILE (a 0600 file), or set $${env}`,
    });
  return { username, file, env: file === undefined ? env : undefined };
}

export async function alterSiteInstance(
  settingsFile: SettingsFile,
  name: string,
  request: InstanceAlterRequest,
  options: { progress: OperationProgress },
): Promise<OperationOutcome> {
  const setParameters = request.parameter.map((text) => parseParameterAssignment(text));
  const resetParameters = request.resetParameter.map((text) => checkParameterName(text, '--reset-parameter'));
  checkDistinctParameters(setParameters, resetParameters);
  const restapi = passwordSource(
    request.patroniRestapiAuthenticationUsername,
    request.patroniRestapiAuthenticationPasswordFile,
    RESTAPI_PASSWORD_ENV,
    '--patroni-restapi-authentication-password-file',
    '--patroni-restapi-authentication-username',
  );
  if (restapi && request.removePatroniRestapiAuthentication)
    throw new PgfleetError(
      'USAGE',
      '--remove-patroni-restapi-authentication and new REST API credentials cannot go together',
      { hint: 'give one or the other' },
    );
  const { site, instance } = await openInstance(settingsFile, name);
  const result = await alterInstance(site, instance, {
    changes: {
      setParameters,
      resetParameters,
      hbaAdd: request.hbaAdd.map((line) => checkPgHbaLine(line, '--hba-add')),
      hbaRemove: request.hbaRemove.map((line) => checkPgHbaLine(line, '--hba-remove')),
      restapiListen: request.patroniRestapiListen,
      restapiConnectAddress: request.patroniRestapiConnectAddress,
    },
    etcd: passwordSource(
      request.patroniEtcdUsername,
      request.patroniEtcdPasswordFile,
      ETCD_PASSWORD_ENV,
      '--patroni-etcd-password-file',
      '--patroni-etcd-username',
    ),
    restapiAuthentication: request.removePatroniRestapiAuthentication ? null : restapi,
    applySettings: request.applySettings,
    skipPreflight: request.skipPreflight,
    dryRun: request.dryRun,
    wait: request.wait,
    ...reporting(options.progress),
  });
  return { data: result, text: () => renderAlter(result) };
}

export async function dropSiteInstance(
  settingsFile: SettingsFile,
  name: string,
  options: { force: boolean; progress: OperationProgress },
): Promise<OperationOutcome> {
  const { site, instance } = await openInstance(settingsFile, name);
  const dropped = await dropInstance(site, instance, { force: options.force, ...reporting(options.progress) });
  return { data: dropped, text: () => renderDropped(dropped) };
}

/**
 * logs: the last lines of the instance's Patroni log. With `follow`, they
 * are printed at once and new lines after them until the interruption
 * (Ctrl-C); the outcome then has nothing left to print.
 */
export async function showInstanceLogs(
  settingsFile: SettingsFile,
  name: string,
  options: {
    lines: number;
    follow?: { print: (text: string) => void; interruption: Interruption } | undefined;
  },
): Promise<OperationOutcome> {
  const { site, instance } = await openInstance(settingsFile, name);
  const tail = await instanceLogTail(site, instance, options.lines);
  const text = tail.lines.join('\n');
  const { follow } = options;
  if (!follow) return { data: tail, text: () => text };
  if (text.length > 0) follow.print(text.endsWith('\n') ? text : `${text}\n`);
  const interruption = follow.interruption(() => {});
  try {
    await followInstanceLog(site, instance, follow.print, interruption.signal);
  } finally {
    interruption.stop();
  }
  return { data: tail, text: () => '' };
}

/** env: shell exports pointing patronictl, psql and pg_ctl at the instance. */
export async function showInstanceEnvironment(settingsFile: SettingsFile, name: string): Promise<OperationOutcome> {
  const { instance } = await openInstance(settingsFile, name);
  const variables = instanceEnvironment({ configFile: instance.local.configFile, config: instance.local.config });
  return { data: variables, text: () => renderShellExports(variables) };
}
