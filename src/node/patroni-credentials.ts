import { readFile } from 'node:fs/promises';
import { parseDocument } from 'yaml';
import { PgfleetError } from '../core/errors.js';
import type { AccessUser } from '../core/os/file-permission.js';
import { renderPatroniYaml } from '../core/patroni-config/render-yaml.js';
import { deepMerge } from '../core/patroni-config/deep-merge.js';
import { editYamlSurgically } from '../core/yaml/surgical-edit.js';
import type { EtcdCredentials } from '../adapters/etcd/etcd-client.js';
import { writeFileAtomic } from '../adapters/fs/atomic-file.js';
import { type ForeignFileWrite, writeForeignFile } from '../adapters/fs/foreign-file-write.js';
import type { AdoptedLocalInstance } from './adopted-local-instance.js';
import type { LocalInstance } from './local-instances.js';

/** Writes etcd credentials into an instance's Patroni YAML (atomic, 0600, same owner); returns the text written. Patroni is not told. */
export async function writeCredentialsIntoConfig(
  instance: LocalInstance,
  credentials: EtcdCredentials,
): Promise<string> {
  const config = deepMerge(instance.config, {
    [instance.dcsSection]: { username: credentials.username, password: credentials.password },
  });
  const text = renderPatroniYaml(config, { revealSecrets: true });
  await writeFileAtomic(instance.configFile, text, { mode: 0o600, dirMode: 0o750, owner: instance.owner });
  return text;
}

export interface SurgicalCredentialsWrite {
  /** The whole text now in the file. */
  text: string;
  /** The keys whose value changed (none when the file already held these credentials). */
  changedPaths: string[][];
  write: ForeignFileWrite;
}

/**
 * Writes etcd credentials into the YAML of a member pgfleet did not create,
 * changing only `<dcs section>.username` and `.password` (every comment,
 * blank line, quoting and key order elsewhere stays byte for byte), through
 * the path its Patroni was given (symlinks kept) with writeForeignFile:
 * atomic, owner and group kept, others' access removed since the file now
 * holds a password, refused when that would lock out the running Patroni
 * (`readers`). No header is added. Patroni is not told.
 */
export async function writeCredentialsSurgically(
  instance: AdoptedLocalInstance,
  credentials: EtcdCredentials,
  readers: readonly AccessUser[],
): Promise<SurgicalCredentialsWrite> {
  const section = instance.dcsSection;
  const original = await readFile(instance.realConfigFile, 'utf8');
  const edit = editYamlSurgically(original, [
    { path: [section, 'username'], value: credentials.username },
    { path: [section, 'password'], value: credentials.password },
  ]);
  const write = await writeForeignFile(instance.configFile, edit.text, {
    // The password may already have been there: the file holds a secret either way.
    holdsSecret: true,
    readers,
    validate: (written) => {
      const document = parseDocument(written, { version: '1.1' });
      const dcs = document.toJS() as Record<string, { username?: unknown } | undefined>;
      if (document.errors.length > 0 || dcs[section]?.username !== credentials.username)
        throw new PgfleetError(
          'CREDENTIALS_EDIT_INVALID',
          `${instance.realConfigFile}: the edited file does not read back with ${section}.username set`,
          { exitCode: 4 },
        );
    },
  });
  return { text: edit.text, changedPaths: edit.changedPaths, write };
}
