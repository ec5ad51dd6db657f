import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { mapWithConcurrency } from '../../core/bounded-concurrency.js';
import { PgfleetError } from '../../core/errors.js';
import { type ReloadProof, reloadDeadlineSeconds, reloadRefusalHint } from '../../core/instance/reload-proof.js';
import { readinessKey, type ReadinessRecord } from '../../core/migration/readiness-record.js';
import { memberIdentity } from '../../core/patroni-config/member-identity.js';
import type { EtcdClient, EtcdCredentials } from '../../adapters/etcd/etcd-client.js';
import { reloadAndProve } from '../../adapters/patroni/reload-and-prove.js';
import { listPatroniProcesses, type PatroniProcess } from '../../adapters/process/patroni-processes.js';
import { isAdopted } from '../../node/adopted-local-instance.js';
import type { LocalInstance } from '../../node/local-instances.js';
import { writeCredentialsIntoConfig, writeCredentialsSurgically } from '../../node/patroni-credentials.js';
import { patroniRestClientFor } from '../../fleet/member-rest-client.js';
import type { TenantDirectory } from '../../fleet/tenant-directory.js';
import { thisHostName } from '../../adapters/process/host-name.js';

export interface ApplyOutcome {
  instance: string;
  scope: string;
  member: string;
  /**
   * applied: written, its running Patroni proven to have reloaded that file,
   * readiness recorded. Otherwise no readiness record: refused (the running
   * Patroni reads another file, the file cannot be edited safely...),
   * unproven (nothing shows the reload took it), reload-failed (POST /reload
   * not accepted), no-tenant.
   */
  status: 'applied' | 'no-tenant' | 'reload-failed' | 'refused' | 'unproven';
  username?: string | undefined;
  detail: string;
  /** What to do about a member that was not applied. */
  hint?: string | undefined;
  /** The file written: the path Patroni was given, the real file, how it was written, its mode when that changed. */
  file?: ApplyFileReport | undefined;
}

export interface ApplyFileReport {
  path: string;
  realPath: string;
  /** pgfleet's own file rewritten whole (0600), or a file it did not create edited key by key. */
  edit: 'generated' | 'surgical';
  /** Set when the mode was tightened (others lost access): `0664 → 0660`. */
  modeChange?: string | undefined;
}

/** Members proven at once: most of each proof is waiting for the member's next HA loop. */
const CONCURRENCY = 16;
/** Members proven together share a /proc scan at most this old. */
const SCAN_MAX_AGE_MS = 400;

/**
 * `etcd auth apply` on this host. For each local member: write its tenant's
 * credentials into its Patroni YAML (a file pgfleet generated is rewritten
 * whole, 0600, as before; a file it did not create gets only
 * `<dcs section>.username/password` changed, through its symlinks, owner and
 * group kept, no header), ask its running Patroni to reload (POST /reload)
 * and prove from its process and its log that it re-read exactly that file
 * and completed the reload (core/instance/reload-proof.ts). Only then is the
 * member recorded ready in etcd (user name and file hash only). A member
 * whose running Patroni reads another file is refused, naming both.
 */
export async function applyCredentialsLocally(options: {
  instances: LocalInstance[];
  tenants: TenantDirectory;
  recordStore: EtcdClient;
  onProgress?: ((message: string) => void) | undefined;
  /** What the operator must see even without --verbose: a file whose mode pgfleet tightened. */
  onNotice?: ((message: string) => void) | undefined;
}): Promise<ApplyOutcome[]> {
  const scan = sharedProcessScan(SCAN_MAX_AGE_MS);
  return mapWithConcurrency(options.instances, CONCURRENCY, (instance) => applyOne(instance, scan, options));
}

async function applyOne(
  instance: LocalInstance,
  scan: () => Promise<PatroniProcess[]>,
  options: {
    tenants: TenantDirectory;
    recordStore: EtcdClient;
    onProgress?: ((message: string) => void) | undefined;
    onNotice?: ((message: string) => void) | undefined;
  },
): Promise<ApplyOutcome> {
  const base = { instance: instance.name, scope: instance.scope, member: instance.node };
  const id = `${instance.namespace}${instance.scope}/${instance.node}`;
  const credentials = await options.tenants.credentialsFor(instance.namespace, instance.scope);
  if (!credentials)
    return {
      ...base,
      status: 'no-tenant',
      detail: `no tenant credentials for ${instance.namespace}${instance.scope} on this host`,
      hint: 'run `pgfleet etcd auth prepare` (it creates the tenant and its password file), then apply',
    };
  const realPath = isAdopted(instance)
    ? instance.realConfigFile
    : await realpath(instance.configFile).catch(() => instance.configFile);
  const process = servingProcess(instance, realPath, await scan());
  let written: { text: string; changedPaths: string[][]; file: ApplyFileReport };
  try {
    written = await writeCredentials(instance, realPath, credentials, process);
  } catch (error) {
    if (!(error instanceof PgfleetError)) throw error;
    return {
      ...base,
      status: 'refused',
      username: credentials.username,
      detail: `nothing written: ${error.message}`,
      hint: error.hint,
    };
  }
  const { file } = written;
  if (file.modeChange)
    (options.onNotice ?? options.onProgress)?.(
      `${id}: ${file.realPath} mode ${file.modeChange} (others lost access: it holds a password now)`,
    );
  const what = `credentials of ${credentials.username} written into ${file.realPath}${file.edit === 'surgical' ? ` (only ${instance.dcsSection}.username/password changed)` : ''}`;
  if (!process) {
    return {
      ...base,
      status: 'unproven',
      username: credentials.username,
      detail: `${what}; no running Patroni reads it, so nothing proves it is in use`,
      hint: 'start it (Patroni reads its file when it starts), then `pgfleet etcd auth apply` records it ready',
      file,
    };
  }
  let proof: ReloadProof;
  const rest = patroniRestClientFor(instance);
  try {
    const dynamic = (await rest.dynamicConfig().catch(() => ({}))) as Record<string, unknown>;
    proof = await reloadAndProve({
      written: { realPath: file.realPath, changedPaths: written.changedPaths },
      before: { pid: process.pid, startTicks: process.startTicks },
      rest,
      logFile: logFileOf(instance, process),
      deadlineSeconds: reloadDeadlineSeconds(dynamic),
      listProcesses: scan,
    });
  } catch (error) {
    if (!(error instanceof PgfleetError)) throw error;
    return {
      ...base,
      status: 'reload-failed',
      username: credentials.username,
      detail: `${what}; POST /reload failed: ${error.message}`,
      hint: 'bring its REST API back (GET /patroni must answer), then apply again',
      file,
    };
  } finally {
    await rest.close();
  }
  if (proof.status === 'refused')
    return {
      ...base,
      status: 'refused',
      username: credentials.username,
      detail: `${what}; not ready: ${proof.message}`,
      hint: reloadRefusalHint(proof.code),
      file,
    };
  if (proof.status !== 'proven')
    return {
      ...base,
      status: 'unproven',
      username: credentials.username,
      detail: `${what}; not recorded ready: ${proof.reason}`,
      hint: proof.status === 'unproven' ? proof.hint : 'check its log',
      file,
    };
  const record: ReadinessRecord = {
    namespace: instance.namespace,
    scope: instance.scope,
    member: instance.node,
    username: credentials.username,
    configSha256: createHash('sha256').update(written.text).digest('hex'),
    host: thisHostName(),
    appliedAt: new Date().toISOString(),
  };
  await options.recordStore.put(
    readinessKey({ namespace: record.namespace, scope: record.scope, name: record.member }),
    JSON.stringify(record),
  );
  options.onProgress?.(`${id}: ${what}; ${proof.detail}; readiness recorded`);
  return {
    ...base,
    status: 'applied',
    username: credentials.username,
    detail: `${what}; ${proof.detail}; readiness recorded`,
    file,
  };
}

/** The Patroni process serving this member: for an adopted one, the process it was found running as, else the one whose configuration is this file. */
function servingProcess(
  instance: LocalInstance,
  realPath: string,
  processes: readonly PatroniProcess[],
): PatroniProcess | undefined {
  const byPid =
    isAdopted(instance) && instance.pid !== undefined ? processes.find((p) => p.pid === instance.pid) : undefined;
  return byPid ?? processes.find((candidate) => candidate.realConfigPath === realPath);
}

async function writeCredentials(
  instance: LocalInstance,
  realPath: string,
  credentials: EtcdCredentials,
  process: PatroniProcess | undefined,
): Promise<{ text: string; changedPaths: string[][]; file: ApplyFileReport }> {
  if (!isAdopted(instance)) {
    const text = await writeCredentialsIntoConfig(instance, credentials);
    return {
      text,
      changedPaths: [
        [instance.dcsSection, 'username'],
        [instance.dcsSection, 'password'],
      ],
      file: { path: instance.configFile, realPath, edit: 'generated' },
    };
  }
  const readers = process ? [{ uid: process.uid, gids: [process.gid, ...process.groups] }] : [];
  const { text, changedPaths, write } = await writeCredentialsSurgically(instance, credentials, readers);
  return {
    text,
    changedPaths,
    file: {
      path: instance.configFile,
      realPath: write.realPath,
      edit: 'surgical',
      ...(write.changedMode ? { modeChange: `${octal(write.modeBefore)} → ${octal(write.modeAfter)}` } : {}),
    },
  };
}

/** Where the running Patroni logs: `<log.dir>/patroni.log` (relative to its cwd), else its stderr file, else pgfleet's log of it. */
function logFileOf(instance: LocalInstance, process: PatroniProcess): string | undefined {
  const logDir = memberIdentity(instance.config).logDir;
  if (logDir) return join(resolve(process.cwd ?? '/', logDir), 'patroni.log');
  return process.stderrFile ?? instance.logFile;
}

/** One /proc scan shared by the members being proven, renewed when older than `maxAgeMs`. */
function sharedProcessScan(maxAgeMs: number): () => Promise<PatroniProcess[]> {
  let last: { at: number; scan: Promise<PatroniProcess[]> } | undefined;
  return () => {
    if (!last || Date.now() - last.at > maxAgeMs) last = { at: Date.now(), scan: listPatroniProcesses() };
    return last.scan;
  };
}

function octal(mode: number): string {
  return mode.toString(8).padStart(4, '0');
}
