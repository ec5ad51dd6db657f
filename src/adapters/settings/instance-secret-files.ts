import { generatePassword, readSecretFile } from '../fs/secret-file.js';
import {
  checkInstanceOptions,
  type InstanceOptionSecrets,
  type PatroniInstanceOptions,
} from '../../core/patroni-config/instance-options.js';
import { PgfleetError } from '../../core/errors.js';
import { Secret } from '../../core/secret.js';

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
export async function readInstanceOptionSecrets(
  options: PatroniInstanceOptions,
  roleFiles: RolePasswordFiles = {},
  environment: NodeJS.ProcessEnv = process.env,
): Promise<ReadInstanceSecrets> {
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
      etcdPassword: await readPassword(
        { file: options.patroniEtcdPasswordFile, env: options.patroniEtcdPasswordEnv },
        'etcd password (--patroni-etcd-password-file)',
        environment,
      ),
      restapiPassword: await readPassword(
        {
          file: options.patroniRestapiAuthenticationPasswordFile,
          env: options.patroniRestapiAuthenticationPasswordEnv,
        },
        'REST API password (--patroni-restapi-authentication-password-file)',
        environment,
      ),
      superuser: await role('superuser'),
      replication: await role('replication'),
      rewind: await role('rewind'),
    },
    generated,
  };
}

/**
 * A password from a 0600 file, or from the environment variable named
 * instead of a file (never from a command-line argument); undefined when
 * neither is given.
 */
export async function readPassword(
  source: { file?: string | undefined; env?: string | undefined },
  what: string,
  environment: NodeJS.ProcessEnv = process.env,
): Promise<Secret | undefined> {
  if (source.file) return readSecretFile(source.file, what);
  if (source.env === undefined) return undefined;
  const value = environment[source.env];
  if (!value) {
    throw new PgfleetError('SECRET_ENV_EMPTY', `${what}: $${source.env} is empty or not set`, {
      hint: `export ${source.env} with the password, or give the password file option`,
    });
  }
  return new Secret(value);
}
