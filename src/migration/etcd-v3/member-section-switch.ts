import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { PgfleetError, describeError } from '../../core/errors.js';
import { type YamlChange, editYamlSurgically } from '../../core/yaml/surgical-edit.js';
import { renameTopLevelKey } from '../../core/yaml/top-level-key-rename.js';
import type { EtcdCredentials } from '../../adapters/etcd/etcd-client.js';
import { writeForeignFile } from '../../adapters/fs/foreign-file-write.js';
import type { HostMember } from './v3-move-fleet.js';

export type DcsSectionName = 'etcd' | 'etcd3';

export interface SectionSwitch {
  /** False when the file already had the wanted section (a rerun). */
  changed: boolean;
  /** Keys added under `etcd3:` (credentials): a switch back removes them. */
  addedKeys: string[];
}

/**
 * Renames a member's DCS section in its YAML, surgically: `etcd:` → `etcd3:`
 * (everything under it carried over as it is, credentials included), or back.
 * With `credentials` (etcd v3 auth is on and the section has none), they are
 * added under `etcd3:`; switching back removes the keys named in
 * `removeKeys` first, so the file reads exactly as before the move. The file
 * is written through writeForeignFile: owner and group kept, its running
 * Patroni still able to read it.
 */
export async function switchMemberSection(
  member: HostMember,
  to: DcsSectionName,
  options: { credentials?: EtcdCredentials | undefined; removeKeys?: readonly string[] | undefined } = {},
): Promise<SectionSwitch> {
  const from: DcsSectionName = to === 'etcd3' ? 'etcd' : 'etcd3';
  const file = member.realConfigFile;
  const original = await readFile(file, 'utf8').catch((error: unknown) => {
    throw new PgfleetError('V3_MEMBER_FILE_UNREADABLE', `${file}: ${describeError(error)}`, { exitCode: 4 });
  });
  const sections = sectionsOf(original, file);
  if (sections.has(to) && !sections.has(from)) return { changed: false, addedKeys: [] };
  let text = original;
  if (to === 'etcd' && options.removeKeys && options.removeKeys.length > 0)
    text = editYamlSurgically(
      text,
      options.removeKeys.map((key): YamlChange => ({ path: ['etcd3', key], delete: true })),
    ).text;
  text = renameTopLevelKey(text, from, to);
  const addedKeys: string[] = [];
  if (to === 'etcd3' && options.credentials) {
    const section =
      (parse(text, { version: '1.1' }) as Record<string, Record<string, unknown> | undefined>).etcd3 ?? {};
    if (section.username === undefined && section.password === undefined) {
      text = editYamlSurgically(text, [
        { path: ['etcd3', 'username'], value: options.credentials.username },
        { path: ['etcd3', 'password'], value: options.credentials.password },
      ]).text;
      addedKeys.push('username', 'password');
    }
  }
  await writeForeignFile(member.instance.configFile, text, {
    holdsSecret: addedKeys.includes('password'),
    readers: member.reader ? [{ uid: member.reader.uid, gids: [member.reader.gid, ...member.reader.groups] }] : [],
    validate: (written) => {
      if (!sectionsOf(written, file).has(to))
        throw new PgfleetError('V3_MEMBER_FILE_NOT_SWITCHED', `${file}: the written file has no ${to}: section`, {
          exitCode: 4,
        });
    },
  });
  return { changed: true, addedKeys };
}

/** The DCS sections a member's YAML has now. */
export async function memberSections(member: HostMember): Promise<Set<DcsSectionName>> {
  return sectionsOf(await readFile(member.realConfigFile, 'utf8'), member.realConfigFile);
}

function sectionsOf(text: string, file: string): Set<DcsSectionName> {
  let parsed: unknown;
  try {
    parsed = parse(text, { version: '1.1' });
  } catch (error) {
    throw new PgfleetError('V3_MEMBER_FILE_INVALID', `${file}: not valid YAML (${describeError(error)})`, {
      exitCode: 4,
    });
  }
  const document = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  return new Set((['etcd', 'etcd3'] as const).filter((section) => document[section] !== undefined));
}
