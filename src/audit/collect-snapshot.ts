import { realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { PgfleetError, describeError } from '../core/errors.js';
import type { AuditGap, FleetSnapshot, PatroniYamlFile } from '../core/audit/fleet-snapshot.js';
import { dcsOf, clusterOfDocument, ctlOf, restapiOf, text } from '../core/audit/patroni-document.js';
import { getPath } from '../core/patroni-config/config-path.js';
import { resolveSitePaths } from '../core/settings/site-paths.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { detectPatroniFeatures } from '../adapters/patroni/patroni-binary.js';
import { isRoot, lookupOsUser, osUserNames } from '../adapters/process/os-user.js';
import { adminPassword } from '../adapters/settings/etcd-access.js';
import { isAdopted } from '../node/adopted-local-instance.js';
import { memberSourcesFromSettings, thisHostMembers } from '../node/this-host-members.js';
import { collectCertificateFacts } from './certificate-facts.js';
import { collectEtcdFacts } from './etcd-facts.js';
import { collectCensusFacts } from './census-facts.js';
import {
  type SecretFileReference,
  managedPatroniYamls,
  passwordFilesIn,
  secretFileFacts,
  yamlDocumentFacts,
} from './file-facts.js';
import { scanProcesses } from './process-facts.js';
import { collectRestApiFacts, restApiTargets } from './restapi-facts.js';

export interface SnapshotRequest {
  settings: SiteSettings;
  settingsSource?: string | undefined;
  /** Patroni YAMLs given with --config, besides the managed ones. */
  configFiles?: readonly string[] | undefined;
  live: boolean;
  env?: NodeJS.ProcessEnv | undefined;
  /** /proc, for tests. */
  procDir?: string | undefined;
  /** Bound on etcd and REST API calls in flight. */
  concurrency?: number | undefined;
  /** Told how long each phase took (host, etcd, REST APIs), for benchmarks and --verbose. */
  onPhase?: ((phase: 'host' | 'etcd' | 'restapi', elapsedMs: number) => void) | undefined;
}

/**
 * Collects everything the audit rules read, once: the settings, the Patroni
 * YAMLs pgfleet manages and those given with --config, the site template,
 * file modes and owners, the secret files (stat only), the etcd/Patroni/
 * pgfleet processes (passwords redacted), and with `live` etcd and every
 * member's REST API. What cannot be looked at becomes a gap; what makes
 * the audit meaningless (a --config file missing, etcd unreachable with
 * --live) is an error.
 */
export async function collectFleetSnapshot(request: SnapshotRequest): Promise<FleetSnapshot> {
  const env = request.env ?? process.env;
  let phaseStarted = performance.now();
  const phaseDone = (phase: 'host' | 'etcd' | 'restapi') => {
    request.onPhase?.(phase, performance.now() - phaseStarted);
    phaseStarted = performance.now();
  };
  const settings = request.settings;
  const gaps: AuditGap[] = [];
  const names = osUserNames();
  const paths = resolveSitePaths(settings, { isRoot: isRoot(), home: env.HOME ?? '/', env });
  // `patroni --version` (a Python start, about a second) and the /proc scan run while the files are read.
  const installedPatroniVersion = settings.patroni
    ? detectPatroniFeatures(settings.patroni.execpath).then(
        (features) => features.version,
        () => undefined,
      )
    : Promise.resolve(undefined);
  const scannedProcesses = scanProcesses(request.procDir ?? '/proc').catch((error: unknown) => {
    gaps.push({ what: 'processes of this host', reason: `cannot be listed: ${describeError(error)}` });
    return [];
  });

  const patroniFiles: PatroniYamlFile[] = [];
  if (settings.patroni) {
    try {
      patroniFiles.push(...(await managedPatroniYamls(paths.patroniConfigDir, names)));
    } catch (error) {
      gaps.push({
        what: `Patroni configuration directory ${paths.patroniConfigDir}`,
        reason: `cannot be listed: ${describeError(error)}`,
      });
    }
  }
  if (settings.patroni) {
    // The members this host runs or keeps at patroni.member_files that pgfleet did not create, one per real file.
    try {
      const members = await thisHostMembers(memberSourcesFromSettings(settings, paths));
      const seen = new Set(await Promise.all(patroniFiles.map((file) => realpath(file.path).catch(() => file.path))));
      for (const instance of members.instances.filter(isAdopted)) {
        if (seen.has(instance.realConfigFile)) continue;
        seen.add(instance.realConfigFile);
        const facts = await yamlDocumentFacts(instance.realConfigFile, names);
        if (facts) patroniFiles.push({ ...facts, origin: 'adopted' });
      }
      for (const problem of members.problems)
        gaps.push({ what: `Patroni member ${problem.configFile}`, reason: problem.problem });
    } catch (error) {
      gaps.push({ what: "this host's Patroni members", reason: `cannot be listed: ${describeError(error)}` });
    }
  }
  for (const given of request.configFiles ?? []) {
    const path = resolve(given);
    if (patroniFiles.some((file) => file.path === path)) continue;
    const facts = await yamlDocumentFacts(path, names).catch((error: unknown) => {
      throw new PgfleetError('AUDIT_CONFIG_UNREADABLE', `--config ${given}: cannot be read (${describeError(error)})`, {
        hint: 'give the path of a Patroni YAML this user can read',
      });
    });
    if (!facts)
      throw new PgfleetError('AUDIT_CONFIG_MISSING', `--config ${given}: no such file`, {
        hint: 'give the path of an existing Patroni YAML',
      });
    patroniFiles.push({ ...facts, origin: 'argument' });
  }
  for (const file of patroniFiles)
    if (file.problem) gaps.push({ what: `Patroni YAML ${file.path}`, reason: file.problem });

  const templatePath = settings.patroni?.template;
  const template = templatePath ? await yamlDocumentFacts(templatePath, names).catch(() => undefined) : undefined;
  if (templatePath && !template) gaps.push({ what: `Patroni template ${templatePath}`, reason: 'cannot be read' });
  else if (template?.problem) gaps.push({ what: `Patroni template ${templatePath}`, reason: template.problem });

  const secretFiles = await secretFileFacts(await secretReferences(settings, paths.secretsDir, patroniFiles), names);
  const certificates = await collectCertificateFacts(settings, patroniFiles);
  const processes = await scannedProcesses;

  const snapshot: FleetSnapshot = {
    settings,
    settingsSource: request.settingsSource,
    patroniUser: patroniUser(settings),
    patroniFiles,
    template,
    secretFiles,
    certificates,
    processes,
    gaps,
  };
  phaseDone('host');
  if (!request.live) return { ...snapshot, installedPatroniVersion: await installedPatroniVersion };

  const patroni = settings.patroni;
  if (!patroni)
    throw new PgfleetError(
      'SETTINGS_NO_PATRONI',
      '--live: the settings have no patroni section, so pgfleet does not know where etcd is',
      { hint: 'add "patroni: {}" (etcd on 127.0.0.1:2379) or describe your etcd under patroni.etcd' },
    );
  let admin: { username: string; password: Awaited<ReturnType<typeof adminPassword>> } | undefined;
  let adminProblem: string | undefined;
  try {
    admin = { username: settings.etcd_admin.username, password: await adminPassword(settings, env) };
  } catch (error) {
    adminProblem = describeError(error);
  }
  const namespaces = [
    ...new Set([
      patroni.etcd.namespace,
      ...settings.tenancy.namespaces,
      ...patroniFiles.flatMap((file) => {
        const namespace = file.document && clusterOfDocument(file.document)?.namespace;
        return namespace ? [namespace] : [];
      }),
    ]),
  ];
  const etcd = await collectEtcdFacts(
    {
      endpoints: patroni.etcd.hosts.map((host) => `${patroni.etcd.protocol}://${host}`),
      tls: { cacert: patroni.etcd.cacert, cert: patroni.etcd.cert, key: patroni.etcd.key },
      namespaces,
      admin,
      adminProblem,
      localEtcd: processes.filter((process) => process.program === 'etcd'),
      ...(request.concurrency ? { concurrency: request.concurrency } : {}),
    },
    gaps,
  );
  // The census (issue 23): every client of the etcd, as enforce's gates see them.
  const census = await collectCensusFacts(
    {
      settings,
      endpoints: etcd.endpoints,
      tls: { cacert: patroni.etcd.cacert, cert: patroni.etcd.cert, key: patroni.etcd.key },
      namespaces,
      admin,
    },
    etcd,
    gaps,
  );
  phaseDone('etcd');
  const documents = new Map(
    patroniFiles.flatMap((file) => (file.document ? [[file.path, file.document] as const] : [])),
  );
  const restApis = await collectRestApiFacts(restApiTargets(etcd.clusters, patroniFiles), gaps, {
    ctl: patroni.ctl,
    documents,
    ...(request.concurrency ? { concurrency: request.concurrency } : {}),
  });
  phaseDone('restapi');
  return { ...snapshot, installedPatroniVersion: await installedPatroniVersion, live: { etcd, restApis, census } };
}

/** The OS user Patroni runs as: settings patroni.user when pgfleet runs as root, else the invoking user. */
function patroniUser(settings: SiteSettings): FleetSnapshot['patroniUser'] {
  if (isRoot()) {
    const user = lookupOsUser(settings.patroni?.user ?? 'postgres');
    return user ? { name: user.name, uid: user.uid } : undefined;
  }
  const uid = process.getuid?.();
  if (uid === undefined) return undefined;
  return { name: osUserNames().get(uid) ?? String(uid), uid };
}

/** Every file holding a secret the settings and the Patroni YAMLs name. */
async function secretReferences(
  settings: SiteSettings,
  secretsDir: string,
  files: readonly PatroniYamlFile[],
): Promise<SecretFileReference[]> {
  const references: SecretFileReference[] = [];
  const add = (path: unknown, kind: SecretFileReference['kind'], referencedBy: string, readByPatroni: boolean) => {
    const value = text(path);
    if (value) references.push({ path: resolve(value), kind, referencedBy, readByPatroni });
  };
  add(settings.etcd_admin.password_file, 'etcd-admin-password', 'settings etcd_admin.password_file', false);
  for (const file of await passwordFilesIn(secretsDir))
    add(file, 'tenant-password', `secrets directory ${secretsDir}`, false);
  const patroni = settings.patroni;
  add(patroni?.etcd.key, 'private-key', 'settings patroni.etcd.key', true);
  add(patroni?.restapi.keyfile, 'private-key', 'settings patroni.restapi.keyfile', true);
  add(patroni?.ctl?.keyfile, 'private-key', 'settings patroni.ctl.keyfile', false);
  for (const file of files) {
    const document = file.document;
    if (!document) continue;
    const dcs = dcsOf(document);
    if (dcs) add(dcs.values.key, 'private-key', `${file.path} ${dcs.name}.key`, true);
    add(restapiOf(document).keyfile, 'private-key', `${file.path} restapi.keyfile`, true);
    add(ctlOf(document).keyfile, 'private-key', `${file.path} ctl.keyfile`, false);
    add(getPath(document, ['postgresql', 'pgpass']), 'pgpass', `${file.path} postgresql.pgpass`, true);
  }
  return references;
}
