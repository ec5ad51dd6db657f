import { PgfleetError } from '../errors.js';
import { deletePath, getPath, setPath } from '../patroni-config/config-path.js';
import { type ConfigTree, deepMerge } from '../patroni-config/deep-merge.js';
import type { RoleCredentials } from '../patroni-config/instance-spec.js';
import type { PatroniSettings } from '../settings/site-settings.js';
import { type ConfigChange, diffConfig, sameValue } from './config-changes.js';
import { applyDynamicPatch } from './dynamic-config-patch.js';
import { editPgHba } from './pg-hba-lines.js';
import { type ParameterAssignment, isDcsOnlyParameter } from './postgresql-parameters.js';
import { type PatroniRestartRequirement, patroniRestartRequirement } from './patroni-restart-requirement.js';

/** Where pg_hba and parameters are managed (settings: patroni.configuration_mode). */
export type ConfigurationModeSettings = PatroniSettings['configuration_mode'];

/** What `pgfleet instance alter` was asked to change. Passwords are Secrets read from files. */
export interface InstanceAlterRequest {
  setParameters: ParameterAssignment[];
  resetParameters: string[];
  hbaAdd: string[];
  hbaRemove: string[];
  etcdCredentials?: RoleCredentials | undefined;
  /** New REST API basic-auth credentials; null removes them. */
  restapiAuthentication?: RoleCredentials | null | undefined;
  restapiListen?: string | undefined;
  restapiConnectAddress?: string | undefined;
  /** Values the current site settings give to the settings-derived keys (`--apply-settings`): undefined deletes a key. */
  settingsValues?: Array<{ path: string[]; value: unknown }> | undefined;
}

export interface AlterPlanInput {
  /** The instance's YAML as it is. */
  config: ConfigTree;
  /** The cluster's dynamic configuration (GET /config), needed when the request touches the DCS. */
  dynamicConfig?: ConfigTree | undefined;
  request: InstanceAlterRequest;
  modes: ConfigurationModeSettings;
}

export interface AlterPlan {
  /** The new YAML; undefined when nothing changes in it. */
  localConfig: ConfigTree | undefined;
  localChanges: ConfigChange[];
  /** The body of PATCH /config; undefined when nothing changes in the DCS. */
  dynamicPatch: ConfigTree | undefined;
  dynamicChanges: ConfigChange[];
  restart: PatroniRestartRequirement;
  notes: string[];
}

export function isEmptyAlterRequest(request: InstanceAlterRequest): boolean {
  return (
    request.setParameters.length === 0 &&
    request.resetParameters.length === 0 &&
    request.hbaAdd.length === 0 &&
    request.hbaRemove.length === 0 &&
    request.etcdCredentials === undefined &&
    request.restapiAuthentication === undefined &&
    request.restapiListen === undefined &&
    request.restapiConnectAddress === undefined &&
    (request.settingsValues ?? []).length === 0
  );
}

/** Whether a parameter goes to the DCS: dynamic mode, or one Patroni reads from the DCS only. */
function parameterIsDynamic(name: string, modes: ConfigurationModeSettings): boolean {
  return modes.parameters === 'dynamic' || isDcsOnlyParameter(name);
}

/** True when the request changes the cluster's dynamic configuration (GET /config is then needed first). */
export function alterTouchesDcs(request: InstanceAlterRequest, modes: ConfigurationModeSettings): boolean {
  const hba = request.hbaAdd.length + request.hbaRemove.length > 0;
  return (
    request.setParameters.some((parameter) => parameterIsDynamic(parameter.name, modes)) ||
    request.resetParameters.some((name) => parameterIsDynamic(name, modes)) ||
    (hba && modes.auth === 'dynamic')
  );
}

/**
 * Plans an alter: the new local YAML (local mode), the PATCH /config body
 * (dynamic mode, and parameters Patroni reads from the DCS only), the
 * changes each makes, and whether Patroni must be restarted for the local
 * ones. Refuses a change that would not take effect or would lock users out.
 */
export function planInstanceAlter(input: AlterPlanInput): AlterPlan {
  const { request, modes } = input;
  const notes: string[] = [];
  const config = deepMerge(input.config);
  const dcsSection = input.config.etcd3 !== undefined || input.config.etcd === undefined ? 'etcd3' : 'etcd';
  const patchParameters: ConfigTree = {};
  const patchPostgresql: ConfigTree = {};

  for (const { name, value } of request.setParameters) {
    if (parameterIsDynamic(name, modes)) {
      refuseLocalOverride(input.config, name);
      patchParameters[name] = value;
      if (modes.parameters === 'local')
        notes.push(
          `${name} is read from the DCS only (Patroni ignores it in the YAML): it is set for the whole cluster with PATCH /config`,
        );
    } else setPath(config, ['postgresql', 'parameters', name], value);
  }
  for (const name of request.resetParameters) {
    if (parameterIsDynamic(name, modes)) {
      refuseLocalOverride(input.config, name);
      patchParameters[name] = null;
    } else deletePath(config, ['postgresql', 'parameters', name]);
  }
  if (Object.keys(patchParameters).length > 0) patchPostgresql.parameters = patchParameters;

  if (request.hbaAdd.length + request.hbaRemove.length > 0) {
    const dynamic = modes.auth === 'dynamic';
    const current = dynamic
      ? getPath(input.dynamicConfig ?? {}, ['postgresql', 'pg_hba'])
      : getPath(input.config, ['postgresql', 'pg_hba']);
    if (dynamic && getPath(input.config, ['postgresql', 'pg_hba']) !== undefined) {
      throw new PgfleetError(
        'INSTANCE_HBA_LOCAL_OVERRIDE',
        'the YAML has postgresql.pg_hba, which overrides the pg_hba of the DCS: a dynamic change would not take effect',
        {
          hint: 'remove postgresql.pg_hba from the YAML (the cluster was created in local mode), or set patroni.configuration_mode.auth: local',
        },
      );
    }
    if (!Array.isArray(current)) {
      throw new PgfleetError(
        'INSTANCE_HBA_UNKNOWN',
        `${dynamic ? 'the dynamic configuration (GET /config)' : 'the YAML'} has no postgresql.pg_hba list: pgfleet will not replace pg_hba.conf with only the lines given`,
        {
          hint: dynamic
            ? 'set the whole list once with patronictl edit-config, then use --hba-add/--hba-remove'
            : 'recreate the YAML with pgfleet, or add postgresql.pg_hba to it',
        },
      );
    }
    const edit = editPgHba(current.map(String), { add: request.hbaAdd, remove: request.hbaRemove });
    for (const line of edit.alreadyPresent) notes.push(`pg_hba already has "${line}"`);
    for (const line of edit.notPresent) notes.push(`pg_hba has no "${line}": nothing to remove`);
    if (edit.lines.length === 0) {
      throw new PgfleetError(
        'INSTANCE_HBA_EMPTY',
        'the change would leave pg_hba empty: every connection would be refused',
        { hint: 'keep at least one entry' },
      );
    }
    if (dynamic) patchPostgresql.pg_hba = edit.lines;
    else setPath(config, ['postgresql', 'pg_hba'], edit.lines);
  }

  if (request.etcdCredentials) {
    setPath(config, [dcsSection, 'username'], request.etcdCredentials.username);
    setPath(config, [dcsSection, 'password'], request.etcdCredentials.password);
  }
  if (request.restapiAuthentication === null) {
    deletePath(config, ['restapi', 'authentication']);
    deletePath(config, ['ctl', 'authentication']);
  } else if (request.restapiAuthentication) {
    const authentication = {
      username: request.restapiAuthentication.username,
      password: request.restapiAuthentication.password,
    };
    setPath(config, ['restapi', 'authentication'], authentication);
    // ctl.authentication exists only where the Patroni version has it (>= 3.1): kept in step, never added.
    if (getPath(input.config, ['ctl', 'authentication']) !== undefined)
      setPath(config, ['ctl', 'authentication'], { ...authentication });
  }
  if (request.restapiListen !== undefined) setPath(config, ['restapi', 'listen'], request.restapiListen);
  if (request.restapiConnectAddress !== undefined)
    setPath(config, ['restapi', 'connect_address'], request.restapiConnectAddress);
  for (const { path, value } of request.settingsValues ?? []) {
    if (value === undefined) deletePath(config, path);
    else setPath(config, path, value);
  }

  const localChanges = diffConfig(input.config, config);
  let dynamicPatch: ConfigTree | undefined =
    Object.keys(patchPostgresql).length > 0 ? { postgresql: patchPostgresql } : undefined;
  let dynamicChanges: ConfigChange[] = [];
  if (dynamicPatch) {
    const before = input.dynamicConfig ?? {};
    const after = applyDynamicPatch(before, dynamicPatch);
    dynamicChanges = diffConfig(before, after);
    if (sameValue(before, after)) dynamicPatch = undefined;
  }
  return {
    localConfig: localChanges.length > 0 ? config : undefined,
    localChanges,
    dynamicPatch,
    dynamicChanges,
    restart: patroniRestartRequirement(localChanges),
    notes,
  };
}

/** A parameter in the YAML's postgresql.parameters wins over the DCS: a dynamic change of it would not take effect. */
function refuseLocalOverride(config: ConfigTree, name: string): void {
  if (isDcsOnlyParameter(name)) return;
  if (getPath(config, ['postgresql', 'parameters', name]) !== undefined) {
    throw new PgfleetError(
      'INSTANCE_PARAMETER_LOCAL_OVERRIDE',
      `the YAML sets postgresql.parameters.${name}, which overrides the DCS: a dynamic change would not take effect`,
      {
        hint: `remove ${name} from the YAML's postgresql.parameters first, or set patroni.configuration_mode.parameters: local`,
      },
    );
  }
}
