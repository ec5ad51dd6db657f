import { ExitCode, PgfleetError } from '../core/errors.js';
import type { PreflightReport } from '../core/instance/dcs-preflight.js';
import {
  CLUSTER_ROLES,
  type ClusterRole,
  type InstanceLayout,
  clusterRolePasswordFile,
} from '../core/instance/instance-layout.js';
import {
  type InstanceRecord,
  type InstanceService,
  isInterruptedCreate,
  newInstanceRecord,
} from '../core/instance/instance-record.js';
import type { ParameterAssignment } from '../core/instance/postgresql-parameters.js';
import { secretsIn } from '../core/patroni-config/config-secrets.js';
import { isValidationError } from '../core/patroni-config/validation-findings.js';
import { checkInstanceOptions, type PatroniInstanceOptions } from '../core/patroni-config/instance-options.js';
import type { InstanceSpec } from '../core/patroni-config/instance-spec.js';
import { writeSecretFile } from '../adapters/fs/secret-file.js';
import { firstUntraversableAncestor } from '../adapters/fs/path-access.js';
import { writePatroniConfigFile } from '../adapters/patroni/config-file.js';
import { PatroniRestClient } from '../adapters/patroni/rest-client.js';
import { systemdIsRunning } from '../adapters/process/systemctl.js';
import { optionalEtcdAdminCredentials } from '../adapters/settings/etcd-access.js';
import { instanceConfig } from '../adapters/settings/instance-config-inputs.js';
import { describeManagedKeyInTemplate } from '../core/patroni-config/managed-keys.js';
import type { RolePasswordFiles } from '../adapters/settings/instance-secret-files.js';
import { preflightGate } from './preflight-gate.js';
import {
  type InstanceDcs,
  dcsClient,
  forgetMember,
  isClusterInitialized,
  readClusterMembers,
  settingsDcs,
  waitForDcsLeader,
} from './instance-dcs.js';
import { checkListenAddresses } from './listen-address-check.js';
import { pathExists, prepareInstanceDirectories, removeInstanceFiles } from './instance-files.js';
import { readInstanceRecord, writeInstanceRecord } from './instance-record-file.js';
import { type InstanceSite, siteInstanceLayout } from './instance-site.js';
import { readLocalInstance } from '../node/local-instances.js';
import { patroniStartError, waitForPatroniReadiness } from './patroni-readiness.js';
import { type PatroniService, enablePatroniUnit, installPatroniUnit, patroniService } from './patroni-service.js';
import { isPrimaryRole } from '../fleet/member-role.js';
import { processAlive } from '../adapters/process/process-alive.js';

export interface CreateInstanceRequest {
  site: InstanceSite;
  options: PatroniInstanceOptions;
  /** Files with the cluster's role passwords; absent ones come from pgfleet's store for the cluster, or are generated. */
  roleFiles: RolePasswordFiles;
  parameters: ParameterAssignment[];
  /** pg_hba lines added to pgfleet's defaults. */
  extraPgHba: string[];
  service: InstanceService;
  skipPreflight: boolean;
  /** Bound on the wait for GET /readiness. */
  timeoutMs: number;
  onStep: (message: string) => void;
  onWarning: (message: string) => void;
  /** Aborted on Ctrl-C: the create stops waiting and undoes what it made. */
  signal?: AbortSignal | undefined;
}

export interface CreatedInstance {
  name: string;
  scope: string;
  node: string;
  /** leader or replica. */
  role: string;
  state: string;
  timeline: number | null;
  /** The cluster existed (this member joined it as a replica). */
  joined: boolean;
  service: InstanceService;
  configFile: string;
  dataDir: string;
  log: string;
  restUrl: string;
  preflight: PreflightReport | null;
  /** Where each role's password is; `generated` lists those pgfleet made for this cluster. */
  rolePasswordFiles: Record<ClusterRole, string | null>;
  generated: ClusterRole[];
  elapsedMs: number;
}

/**
 * `pgfleet instance create`: everything is checked before anything is made
 * (options, password files, ports, the DCS pre-flight, the cluster as the
 * DCS knows it); then directories, the YAML (atomic, 0600, validated),
 * Patroni, and a bounded wait for GET /readiness. Any failure after the first
 * file is written undoes what this create made (the log is kept), so that
 * running it again after fixing the cause works.
 */
export async function createInstance(request: CreateInstanceRequest): Promise<CreatedInstance> {
  const started = Date.now();
  const { site, options } = request;
  checkInstanceOptions(options);
  const layout = siteInstanceLayout(site, options.name);
  const scope = options.patroniCluster ?? options.name;
  const leftover = await interruptedCreateOf(layout);
  // The Patroni an interrupted create left is of no use and holds the ports: stopped now, its files and keys cleared after the checks.
  if (leftover)
    await patroniService(site, layout, leftover.service)
      .stop()
      .catch(() => undefined);
  if (request.service === 'systemd' && !(await systemdIsRunning())) {
    throw new PgfleetError(
      'SYSTEMD_UNAVAILABLE',
      '--service systemd: systemd does not run on this host (no /run/systemd/system)',
      { hint: 'drop --service systemd: pgfleet then runs Patroni in the background with a pid file and a log file' },
    );
  }

  const stored = await storedRolePasswordFiles(site.paths.prefix, scope);
  const roleFiles: RolePasswordFiles = {
    superuser: request.roleFiles.superuser ?? stored.superuser,
    replication: request.roleFiles.replication ?? stored.replication,
    rewind: request.roleFiles.rewind ?? stored.rewind,
  };
  const built = await instanceConfig({
    settings: site.settings,
    options,
    roleFiles,
    env: site.env,
    postgresql: {
      parameters: Object.fromEntries(request.parameters.map((p) => [p.name, p.value])),
      extraPgHba: request.extraPgHba,
    },
  });
  const spec = built.spec;
  // The site template's attempts to set what pgfleet manages are not what runs: said once, with where they are.
  for (const found of built.templateManagedKeys) request.onWarning(describeManagedKeyInTemplate(found));
  const secrets = secretsIn(built.config).map((secret) => secret.reveal());
  await checkListenAddresses(spec);
  if (site.runAs) {
    for (const directory of [
      site.paths.patroniConfigDir,
      site.paths.dataDir,
      site.paths.runDir,
      site.paths.patroniLogDir,
    ]) {
      const blocking = await firstUntraversableAncestor(directory, site.runAs);
      if (blocking) {
        throw new PgfleetError(
          'INSTANCE_DIR_UNREACHABLE',
          `the ${site.runAs.name} user that runs Patroni cannot reach ${directory}: ${blocking.path} has mode ${blocking.mode.toString(8).padStart(4, '0')}`,
          {
            hint: `chmod o+x ${blocking.path}, or choose other directories in the settings`,
          },
        );
      }
    }
  }

  const dcs = settingsDcs(site.patroni, spec.scope, spec.etcdCredentials);
  const preflight = await preflightGate(
    {
      endpoints: dcs.endpoints,
      tls: dcs.tls,
      namespace: dcs.namespace,
      scope: dcs.scope,
      credentials: dcs.credentials,
      admin: await optionalEtcdAdminCredentials(site.settings, site.env),
    },
    {
      skip: request.skipPreflight,
      nothingDone: 'no file was written and Patroni was not started',
      onStep: request.onStep,
      onWarning: request.onWarning,
    },
  );
  if (leftover) {
    request.onStep(
      `clearing what an interrupted create of ${layout.name} left (started ${leftover.createdAt} by pid ${leftover.creatorPid}, gone)`,
    );
    await removeInstanceFiles(layout, { keepLog: true });
    await forgetMember(
      settingsDcs(site.patroni, leftover.scope, spec.etcdCredentials),
      leftover.node,
      leftover.bootstrap,
    ).catch((error: unknown) =>
      request.onWarning(
        `could not clear the keys it left in etcd: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  }
  const cluster = await inspectCluster(dcs, request);
  if (cluster?.members.includes(spec.node)) {
    throw new PgfleetError(
      'INSTANCE_MEMBER_EXISTS',
      `cluster ${spec.scope} already has a member named ${spec.node} in etcd`,
      { hint: 'choose another --patroni-node (member names are unique in a cluster), or drop the old member first' },
    );
  }
  if (cluster?.initialized && built.generatedRoles.length > 0) {
    throw new PgfleetError(
      'INSTANCE_ROLE_PASSWORDS_NEEDED',
      `cluster ${spec.scope} exists: a new member needs its ${built.generatedRoles.join(', ')} password(s), which pgfleet does not have on this host`,
      {
        hint: `give ${built.generatedRoles.map((role) => `--${role}-password-file`).join(', ')} (0600 files with the cluster's passwords; on the host that created the cluster they are under ${clusterRolePasswordFile(site.paths.prefix, spec.scope, 'superuser').replace(/superuser\.password$/, '')})`,
      },
    );
  }

  // From here on the instance exists on disk: any failure undoes what this create made.
  const service = patroniService(site, layout, request.service);
  const clusterWasNew = cluster ? !cluster.initialized : false;
  try {
    request.onStep(
      `creating instance ${spec.name}: member ${spec.node} of cluster ${spec.scope}${cluster?.initialized ? ' (joining it as a replica)' : ' (bootstrapping it)'}`,
    );
    await prepareInstanceDirectories(site, layout);
    await writeInstanceRecord(
      layout.recordFile,
      newInstanceRecord({
        name: spec.name,
        scope: spec.scope,
        node: spec.node,
        service: request.service,
        creatorPid: process.pid,
        bootstrap: clusterWasNew,
      }),
      site.owner,
    );
    for (const role of built.generatedRoles) {
      await writeSecretFile(clusterRolePasswordFile(site.paths.prefix, spec.scope, role), spec[role].password);
    }
    const written = await writePatroniConfigFile(layout.configFile, built.config, {
      owner: site.owner,
      validation: { execpath: site.patroni.execpath, enforce: site.patroni.enforce_config_validation },
    });
    // Loopback addresses and unreachable hosts are the validator's known over-strictness, not worth a warning.
    for (const finding of written.findings.filter(isValidationError))
      request.onWarning(`patroni --validate-config: ${finding.message}`);
    if (request.service === 'systemd') {
      await installPatroniUnit(site);
      await enablePatroniUnit(spec.name, true);
    }
    request.onStep(
      `starting Patroni (${request.service === 'systemd' ? 'systemd unit' : `background, log ${layout.logFile}`})`,
    );
    const logMark = await service.logMark();
    await service.start();
    const local = await readLocalInstance(layout.configFile);
    const rest = new PatroniRestClient(local.restUrl, local.restCredentials, 3_000);
    let outcome;
    try {
      outcome = await waitForPatroniReadiness({
        rest,
        timeoutMs: request.timeoutMs,
        running: async () => (await service.runningPid()) !== undefined,
        onState: (state) => request.onStep(`  Patroni: ${state}`),
        signal: request.signal,
      });
    } finally {
      await rest.close();
    }
    if (!outcome.ready) {
      throw await patroniStartError({
        instance: spec.name,
        outcome,
        service,
        logMark,
        secrets,
        aftermath:
          'pgfleet stopped it and removed what this create made (the log is kept): fix the cause and run the same create again',
        exitCode: ExitCode.rolledBack,
      });
    }
    const role = isPrimaryRole(outcome.status.role) ? 'leader' : 'replica';
    if (
      role === 'leader' &&
      !(await waitForDcsLeader(dcs, spec.node, Math.max(request.timeoutMs - outcome.elapsedMs, 30_000), request.signal))
    ) {
      throw new PgfleetError(
        'PATRONI_NO_DCS_LEADER',
        `Patroni of instance ${spec.name} runs PostgreSQL as primary but its leader key ${dcs.prefix}leader does not name ${spec.node}`,
        {
          hint: `pgfleet stopped it and removed what this create made (the log is kept): see its log ${service.logSource}, check that the member can write to etcd, and run the same create again`,
          exitCode: ExitCode.rolledBack,
        },
      );
    }
    const record = await readInstanceRecord(layout.recordFile);
    if (record) await writeInstanceRecord(layout.recordFile, { ...record, phase: 'ready' }, site.owner);
    return {
      name: spec.name,
      scope: spec.scope,
      node: spec.node,
      role,
      state: outcome.status.state,
      timeline: outcome.status.timeline ?? null,
      joined: cluster?.initialized ?? false,
      service: request.service,
      configFile: layout.configFile,
      dataDir: layout.dataDir,
      log: service.logSource,
      restUrl: local.restUrl,
      preflight,
      rolePasswordFiles: Object.fromEntries(
        CLUSTER_ROLES.map((r) => [
          r,
          roleFiles[r] ??
            (built.generatedRoles.includes(r) ? clusterRolePasswordFile(site.paths.prefix, spec.scope, r) : null),
        ]),
      ) as Record<ClusterRole, string | null>,
      generated: built.generatedRoles,
      elapsedMs: Date.now() - started,
    };
  } catch (error) {
    await undoCreate(site, spec, service, dcs, clusterWasNew, request.onStep).catch((undoError: unknown) => {
      request.onWarning(
        `could not undo everything: ${undoError instanceof Error ? undoError.message : String(undoError)}`,
      );
    });
    throw error;
  }
}

async function storedRolePasswordFiles(prefix: string, scope: string): Promise<RolePasswordFiles> {
  const files: RolePasswordFiles = {};
  for (const role of CLUSTER_ROLES) {
    const file = clusterRolePasswordFile(prefix, scope, role);
    if (await pathExists(file)) files[role] = file;
  }
  return files;
}

/** The cluster as etcd knows it; undefined when it cannot be read (only possible with --skip-preflight). */
async function inspectCluster(
  dcs: InstanceDcs,
  request: CreateInstanceRequest,
): Promise<{ initialized: boolean; members: string[] } | undefined> {
  const client = dcsClient(dcs);
  try {
    return {
      initialized: await isClusterInitialized(client, dcs.prefix),
      members: await readClusterMembers(client, dcs.prefix),
    };
  } catch (error) {
    if (!request.skipPreflight) throw error;
    request.onWarning(
      `cannot read cluster ${dcs.scope} from etcd (${error instanceof Error ? error.message : String(error)}): going on blind, as --skip-preflight asks`,
    );
    return undefined;
  } finally {
    await client.close();
  }
}

/**
 * Undoes a create that failed part-way: Patroni stopped, the instance's files
 * removed (its log kept), and, when this create was bootstrapping a new
 * cluster that has no other member, the keys it left in etcd — or a second
 * create would find an "initialized" cluster with no data anywhere.
 */
async function undoCreate(
  site: InstanceSite,
  spec: InstanceSpec,
  service: PatroniService,
  dcs: InstanceDcs,
  clusterWasNew: boolean,
  onStep: (message: string) => void,
): Promise<void> {
  const layout = siteInstanceLayout(site, spec.name);
  onStep(`undoing the create of ${spec.name}`);
  await service.stop().catch(() => undefined);
  if (service.kind === 'systemd') await enablePatroniUnit(spec.name, false).catch(() => undefined);
  await removeInstanceFiles(layout, { keepLog: true });
  await forgetMember(dcs, spec.node, clusterWasNew).catch(() => undefined);
}

/**
 * An instance that exists stops a create, except the leftovers of a create
 * that was interrupted (its pgfleet process is gone): their record is
 * returned, to be cleared once the new create has passed its checks.
 */
async function interruptedCreateOf(layout: InstanceLayout): Promise<InstanceRecord | undefined> {
  const exists = (await pathExists(layout.configFile)) || (await pathExists(layout.instanceDir));
  if (!exists) return undefined;
  const record = await readInstanceRecord(layout.recordFile).catch(() => undefined);
  if (record && isInterruptedCreate(record, processAlive)) return record;
  throw new PgfleetError(
    'INSTANCE_EXISTS',
    `instance ${layout.name} already exists (${(await pathExists(layout.configFile)) ? layout.configFile : layout.instanceDir})`,
    {
      hint: `see it with \`pgfleet instance status ${layout.name}\`; drop it first (\`pgfleet instance drop ${layout.name}\`) to create it again`,
    },
  );
}
