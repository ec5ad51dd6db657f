import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type {
  FileFacts,
  PatroniYamlFile,
  SecretFileFacts,
  SecretFileKind,
  YamlDocumentFacts,
} from '../core/audit/fleet-snapshot.js';
import { parseAuditedYaml } from '../core/audit/yaml-key-lines.js';
import { generatedByPgfleet } from '../core/patroni-config/render-yaml.js';

/** Mode and owner of a file; undefined when it does not exist. Other errors are the caller's gap. */
export async function fileFacts(path: string, names: ReadonlyMap<number, string>): Promise<FileFacts | undefined> {
  try {
    const info = await stat(path);
    return { path, mode: info.mode & 0o7777, uid: info.uid, gid: info.gid, ownerName: names.get(info.uid) };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** A YAML file's facts and its parsed document, passwords already Secrets (see parseAuditedYaml). */
export async function yamlDocumentFacts(
  path: string,
  names: ReadonlyMap<number, string>,
): Promise<YamlDocumentFacts | undefined> {
  const facts = await fileFacts(path, names);
  if (!facts) return undefined;
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return { ...facts, problem: `cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'})`, keyLines: {} };
  }
  return { ...facts, ...parseAuditedYaml(text), generated: generatedByPgfleet(text) };
}

/** Every `*.yaml` of the Patroni configuration directory pgfleet manages. */
export async function managedPatroniYamls(
  configDir: string,
  names: ReadonlyMap<number, string>,
): Promise<PatroniYamlFile[]> {
  const entries = await readdir(configDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const files: PatroniYamlFile[] = [];
  for (const entry of entries.sort()) {
    if (!entry.endsWith('.yaml') || entry.startsWith('.')) continue;
    const facts = await yamlDocumentFacts(join(configDir, entry), names);
    if (facts) files.push({ ...facts, origin: 'config-dir' });
  }
  return files;
}

/** A reference to a file holding a secret: where the audit learnt of it, and who reads it. */
export interface SecretFileReference {
  path: string;
  kind: SecretFileKind;
  referencedBy: string;
  readByPatroni: boolean;
}

/** Stats every referenced secret file (never reads one); missing files are skipped, duplicates merged. */
export async function secretFileFacts(
  references: readonly SecretFileReference[],
  names: ReadonlyMap<number, string>,
): Promise<SecretFileFacts[]> {
  const merged = new Map<string, SecretFileReference>();
  for (const reference of references) {
    const existing = merged.get(reference.path);
    merged.set(
      reference.path,
      existing ? { ...existing, readByPatroni: existing.readByPatroni || reference.readByPatroni } : reference,
    );
  }
  const facts: SecretFileFacts[] = [];
  for (const reference of merged.values()) {
    const file = await fileFacts(reference.path, names);
    if (file)
      facts.push({
        ...file,
        kind: reference.kind,
        referencedBy: reference.referencedBy,
        readByPatroni: reference.readByPatroni,
      });
  }
  return facts;
}

/** The `*.password` files of a secrets directory (one per tenant). */
export async function passwordFilesIn(directory: string): Promise<string[]> {
  const entries = await readdir(directory).catch(() => [] as string[]);
  return entries
    .filter((entry) => entry.endsWith('.password'))
    .sort()
    .map((entry) => join(directory, entry));
}
