import { createHash } from 'node:crypto';
import { PgfleetError, describeError } from '../../core/errors.js';
import { type ReloadProof, reloadDeadlineSeconds } from '../../core/instance/reload-proof.js';
import { Secret } from '../../core/secret.js';
import type { EtcdCredentials } from '../../adapters/etcd/etcd-client.js';
import { reloadAndProve } from '../../adapters/patroni/reload-and-prove.js';
import { type LocalInstance, readLocalInstance } from '../../node/local-instances.js';
import { patroniReading, realConfigFileOf, writeMemberYamlValues } from '../../node/member-yaml-values.js';
import { patroniRestClientFor } from '../../fleet/member-rest-client.js';

/** A local member's YAML once it holds the credentials: what a readiness record hashes. */
export interface WrittenCredentials {
  member: string;
  configFile: string;
  realPath: string;
  configSha256: string;
  /** False when the YAML already held them (nothing written, nothing to reload). */
  changed: boolean;
  /** The member's Patroni before the write: a reload proof tells a restart from a reload by it. */
  before: { pid: number; startTicks: number };
}

export function localMemberId(instance: Pick<LocalInstance, 'namespace' | 'scope' | 'node'>): string {
  return `${instance.namespace}${instance.scope}/${instance.node}`;
}

/**
 * Writes etcd credentials into a local member's YAML: pgfleet's own file is
 * rendered again (atomic, 0600, same owner); a file pgfleet did not generate
 * (an adopted member) is edited surgically, only the two lines changing.
 * A YAML that already holds them is left alone. A failure names the member
 * and the file, never the password.
 */
export async function writeMemberCredentials(
  known: LocalInstance,
  credentials: EtcdCredentials,
): Promise<WrittenCredentials> {
  const member = localMemberId(known);
  try {
    const running = await patroniReading(known);
    const written = await writeMemberYamlValues(known, [
      { path: [known.dcsSection, 'username'], value: credentials.username },
      { path: [known.dcsSection, 'password'], value: credentials.password },
    ]);
    return {
      member,
      configFile: known.configFile,
      realPath: written.realPath,
      configSha256: sha256(written.text),
      changed: written.changed,
      before: running,
    };
  } catch (error) {
    throw new PgfleetError(
      'ROTATION_YAML_WRITE_FAILED',
      `${member}: cannot write the credentials of ${credentials.username} into ${known.configFile}: ${describeError(error)}`,
      {
        hint: `make ${known.configFile} (and its directory) writable by pgfleet, then rotate again`,
        exitCode: 4,
        cause: error,
        details: { member, configFile: known.configFile },
      },
    );
  }
}

/** Whether the member's YAML (read now) names the user and holds the password (compared, never shown). */
export async function yamlHoldsCredentials(known: LocalInstance, credentials: EtcdCredentials): Promise<boolean> {
  return holdsCredentials(await readLocalInstance(realConfigFileOf(known)), credentials);
}

function holdsCredentials(instance: LocalInstance, credentials: EtcdCredentials): boolean {
  const dcs = (instance.config[instance.dcsSection] ?? {}) as { username?: unknown; password?: unknown };
  return (
    dcs.username === credentials.username &&
    typeof dcs.password === 'string' &&
    credentials.password.equals(new Secret(dcs.password))
  );
}

/**
 * POST /reload, then the proof from its log that Patroni took the file
 * (core/instance/reload-proof): etcd credentials are re-read on reload and
 * used at the next authentication, so etcd may change the password only
 * once every member proved it.
 */
export async function reloadMemberAndProve(known: LocalInstance, written: WrittenCredentials): Promise<ReloadProof> {
  const instance = await readLocalInstance(realConfigFileOf(known));
  const rest = patroniRestClientFor(instance);
  try {
    const deadlineSeconds = reloadDeadlineSeconds(await rest.dynamicConfig().catch(() => ({})));
    return await reloadAndProve({
      written: {
        realPath: written.realPath,
        changedPaths: [
          [instance.dcsSection, 'username'],
          [instance.dcsSection, 'password'],
        ],
      },
      before: written.before,
      rest,
      logFile: known.logFile,
      deadlineSeconds,
    });
  } finally {
    await rest.close();
  }
}

/** A reload proof as one line for the operator; undefined when proven. */
export function reloadProblem(member: string, configFile: string, proof: ReloadProof): string | undefined {
  switch (proof.status) {
    case 'proven':
      return undefined;
    case 'refused':
      return `${member}: ${proof.message}`;
    case 'unproven':
      return `${member}: the reload of ${configFile} is not proven: ${proof.reason} (${proof.hint})`;
    case 'waiting':
      return `${member}: the reload of ${configFile} did not show in time (${proof.reason})`;
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
