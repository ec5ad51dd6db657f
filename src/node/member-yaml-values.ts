import { readFile, realpath } from 'node:fs/promises';
import { deepMerge } from '../core/patroni-config/deep-merge.js';
import { renderPatroniYaml } from '../core/patroni-config/render-yaml.js';
import { Secret } from '../core/secret.js';
import { editYamlSurgically } from '../core/yaml/surgical-edit.js';
import { writeFileAtomic } from '../adapters/fs/atomic-file.js';
import { writeForeignFile } from '../adapters/fs/foreign-file-write.js';
import { listPatroniProcesses } from '../adapters/process/patroni-processes.js';
import { type LocalInstance, readLocalInstance } from './local-instances.js';

/** One scalar to set in a member's Patroni YAML, by its path of keys: `['etcd3', 'password']`. */
export interface MemberYamlValue {
  path: readonly string[];
  value: string | Secret;
}

export interface WrittenMemberYaml {
  /** The file replaced: the member's YAML through every symlink. */
  realPath: string;
  /** The YAML as it is now (written, or found already holding the values). */
  text: string;
  /** False when the YAML already held every value: nothing was written. */
  changed: boolean;
}

/**
 * Sets values in the YAML of a member of this host, read afresh: pgfleet's
 * own file is rendered again (atomic, 0600, same owner); a file pgfleet did
 * not generate (an adopted member) is edited surgically, only the changed
 * lines, through the foreign-file writer (owner, group and mode kept). A
 * YAML that already holds every value is left alone.
 */
export async function writeMemberYamlValues(
  known: LocalInstance,
  values: readonly MemberYamlValue[],
): Promise<WrittenMemberYaml> {
  const realPath = await realpath(realConfigFileOf(known));
  const instance = await readLocalInstance(realPath);
  const current = await readFile(realPath, 'utf8');
  if (values.every((item) => sameValue(valueAt(instance.config, item.path), item.value)))
    return { realPath, text: current, changed: false };
  if ('adopted' in known) {
    const edit = editYamlSurgically(current, values);
    await writeForeignFile(realPath, edit.text, { holdsSecret: values.some((item) => item.value instanceof Secret) });
    return { realPath, text: edit.text, changed: true };
  }
  let patch: Record<string, unknown> = {};
  for (const item of values) patch = deepMerge(patch, nested(item.path, item.value));
  const text = renderPatroniYaml(deepMerge(instance.config, patch), { revealSecrets: true });
  await writeFileAtomic(realPath, text, { mode: 0o600, dirMode: 0o750, owner: instance.owner });
  return { realPath, text, changed: true };
}

/** The file a member's Patroni reads (an adopted member's configFile may be a symlink). */
export function realConfigFileOf(known: LocalInstance): string {
  return 'realConfigFile' in known && typeof known.realConfigFile === 'string'
    ? known.realConfigFile
    : known.configFile;
}

export function valueAt(config: Record<string, unknown>, path: readonly string[]): unknown {
  let node: unknown = config;
  for (const key of path) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

function sameValue(found: unknown, wanted: string | Secret): boolean {
  if (wanted instanceof Secret)
    return (typeof found === 'string' || typeof found === 'number') && wanted.equals(new Secret(String(found)));
  return found === wanted;
}

function nested(path: readonly string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<Record<string, unknown>>((inner, key) => ({ [key]: inner }), value as never);
}

/**
 * The Patroni that reads a member's YAML now (pid and start time; zeros when
 * none runs): taken before a write, it lets a reload proof tell a restart
 * from a reload.
 */
export async function patroniReading(known: LocalInstance): Promise<{ pid: number; startTicks: number }> {
  const realPath = await realpath(realConfigFileOf(known));
  const running = (await listPatroniProcesses()).find((candidate) => candidate.realConfigPath === realPath);
  return { pid: running?.pid ?? 0, startTicks: running?.startTicks ?? 0 };
}
