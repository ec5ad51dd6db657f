import { generatePassword, readSecretFile } from '../fs/secret-file.js';
import { checkInstanceOptions, type InstanceOptionSecrets, type PatroniInstanceOptions } from '../../core/patroni-config/instance-options.js';
import type { Secret } from '../../core/secret.js';

/** Files holding the cluster's PostgreSQL role passwords; absent ones are generated. */
export interface RolePasswordFiles {
  superuser?: string | undefined;
  replication?: string | undefined;
  rewind?: string | undefined;
}

export interface ReadInstanceSecrets {
  secrets: InstanceOptionSecrets;
  /** Roles whose password was generated because no file was given. */
  generated: (keyof RolePasswordFiles)[];
}

/**
 * Reads the passwords the instance options point at (0600 files only, see
 * readSecretFile), after checking the options themselves so a bad option is
 * reported before any file is touched.
 */
export async function readInstanceOptionSecrets(options: PatroniInstanceOptions, roleFiles: RolePasswordFiles = {}): Promise<ReadInstanceSecrets> {
  checkInstanceOptions(options);
  const generated: (keyof RolePasswordFiles)[] = [];
  const role = async (name: keyof RolePasswordFiles): Promise<Secret> => {
    const file = roleFiles[name];
    if (file) return readSecretFile(file, `${name} password`);
    generated.push(name);
    return generatePassword();
  };
  return {
    secrets: {
      etcdPassword: options.patroniEtcdPasswordFile ? await readSecretFile(options.patroniEtcdPasswordFile, 'etcd password (--patroni-etcd-password-file)') : undefined,
      restapiPassword: options.patroniRestapiAuthenticationPasswordFile
        ? await readSecretFile(options.patroniRestapiAuthenticationPasswordFile, 'REST API password (--patroni-restapi-authentication-password-file)')
        : undefined,
      superuser: await role('superuser'),
      replication: await role('replication'),
      rewind: await role('rewind'),
    },
    generated,
  };
}
