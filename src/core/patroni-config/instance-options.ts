import { PgfleetError } from '../errors.js';
import { defaultPgHba } from '../instance/default-pg-hba.js';
import { INSTANCE_NAME_PATTERN, instanceLayout } from '../instance/instance-layout.js';
import type { Secret } from '../secret.js';
import type { SitePaths } from '../settings/site-paths.js';
import type { SiteSettings } from '../settings/site-settings.js';
import type { InstanceSpec } from './instance-spec.js';

/**
 * The Patroni options of `pgfleet instance create` and `pgfleet patroni
 * config render`, named as pglift names them. Passwords are never options:
 * only the files holding them are.
 */
export interface PatroniInstanceOptions {
  name: string;
  /** Patroni scope; default: the instance name. */
  patroniCluster?: string | undefined;
  /** Patroni member name; default: the host name. */
  patroniNode?: string | undefined;
  /** PostgreSQL port; default 5432. */
  port?: number | undefined;
  /** REST API bind address; default: the connect address. */
  patroniRestapiListen?: string | undefined;
  /** REST API address other members use; default: <connect host>:8008. */
  patroniRestapiConnectAddress?: string | undefined;
  /** Host other members and clients reach PostgreSQL at; default: the host name. */
  patroniPostgresqlConnectHost?: string | undefined;
  /** Address(es) PostgreSQL listens on (listen_addresses, comma-separated); default: every interface. */
  patroniPostgresqlListen?: string | undefined;
  patroniEtcdUsername?: string | undefined;
  patroniEtcdPasswordFile?: string | undefined;
  /** Name of an environment variable holding the etcd password, used when no file is given. */
  patroniEtcdPasswordEnv?: string | undefined;
  patroniRestapiAuthenticationUsername?: string | undefined;
  patroniRestapiAuthenticationPasswordFile?: string | undefined;
  /** Name of an environment variable holding the REST API password, used when no file is given. */
  patroniRestapiAuthenticationPasswordEnv?: string | undefined;
}

/** The options as a caller gives them (the CLI's parsed flags), before the instance name and password sources join them. */
export type PatroniInstanceValues = Omit<
  PatroniInstanceOptions,
  'name' | 'patroniEtcdPasswordEnv' | 'patroniRestapiAuthenticationPasswordEnv'
>;

/** The instance's options from the caller's values: only the option keys (a caller's object carries others). */
export function patroniInstanceOptionsOf(name: string, values: PatroniInstanceValues): PatroniInstanceOptions {
  return {
    name,
    patroniCluster: values.patroniCluster,
    patroniNode: values.patroniNode,
    port: values.port,
    patroniRestapiListen: values.patroniRestapiListen,
    patroniRestapiConnectAddress: values.patroniRestapiConnectAddress,
    patroniPostgresqlConnectHost: values.patroniPostgresqlConnectHost,
    patroniPostgresqlListen: values.patroniPostgresqlListen,
    patroniEtcdUsername: values.patroniEtcdUsername,
    patroniEtcdPasswordFile: values.patroniEtcdPasswordFile,
    patroniRestapiAuthenticationUsername: values.patroniRestapiAuthenticationUsername,
    patroniRestapiAuthenticationPasswordFile: values.patroniRestapiAuthenticationPasswordFile,
  };
}

/** Secrets read (by the caller) from the files the options name, and the cluster's role passwords. */
export interface InstanceOptionSecrets {
  etcdPassword?: Secret | undefined;
  restapiPassword?: Secret | undefined;
  superuser: Secret;
  replication: Secret;
  rewind: Secret;
}

export interface InstanceOptionsContext {
  settings: SiteSettings;
  paths: SitePaths;
  /** This host's name: default node name and connect host. */
  hostname: string;
  secrets: InstanceOptionSecrets;
}

export const DEFAULT_POSTGRESQL_PORT = 5432;
export const DEFAULT_RESTAPI_PORT = 8008;
/** listen_addresses default, as pglift's: every interface; pg_hba limits who may connect. */
export const DEFAULT_LISTEN_HOST = '*';

const CLUSTER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;
const HOST = /^(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])$/;
/** listen_addresses: `*`, or hosts separated by commas. */
const LISTEN = /^(?:\*|(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\])(?:,(?:[A-Za-z0-9_.-]+|\[[0-9A-Fa-f:.]+\]))*)$/;
const HOST_PORT = /^(?:[A-Za-z0-9_.*-]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/**
 * Checks the options that need no file: names, addresses, and that each
 * username comes with its password file (and the reverse). Call it before
 * reading any password file.
 */
export function checkInstanceOptions(options: PatroniInstanceOptions): void {
  if (!INSTANCE_NAME_PATTERN.test(options.name))
    invalid('name', options.name, 'letters, digits, ".", "_" or "-" (at most 63), starting with a letter or digit');
  if (options.patroniCluster !== undefined && !CLUSTER_NAME.test(options.patroniCluster))
    invalid(
      '--patroni-cluster',
      options.patroniCluster,
      'letters, digits, ".", "_" or "-", and no "/" (it names an etcd prefix)',
    );
  if (options.patroniNode !== undefined && !NODE_NAME.test(options.patroniNode))
    invalid('--patroni-node', options.patroniNode, 'letters, digits, ".", "_", "@" or "-"');
  if (options.port !== undefined && !(Number.isInteger(options.port) && options.port >= 1 && options.port <= 65535))
    invalid('--port', String(options.port), 'an integer from 1 to 65535');
  if (options.patroniPostgresqlConnectHost !== undefined && !HOST.test(options.patroniPostgresqlConnectHost))
    invalid(
      '--patroni-postgresql-connect-host',
      options.patroniPostgresqlConnectHost,
      'a host name or IP address, without port',
    );
  if (options.patroniPostgresqlListen !== undefined && !LISTEN.test(options.patroniPostgresqlListen))
    invalid(
      '--patroni-postgresql-listen',
      options.patroniPostgresqlListen,
      '"*" or host names / IP addresses separated by commas, without port',
    );
  for (const [option, value] of [
    ['--patroni-restapi-listen', options.patroniRestapiListen],
    ['--patroni-restapi-connect-address', options.patroniRestapiConnectAddress],
  ] as const) {
    if (value === undefined) continue;
    const port = HOST_PORT.exec(value)?.[1];
    if (port === undefined || Number(port) < 1 || Number(port) > 65535)
      invalid(option, value, 'host:port (IPv6 in brackets: [::1]:8008)');
  }
  paired(
    '--patroni-etcd-username',
    options.patroniEtcdUsername,
    '--patroni-etcd-password-file',
    options.patroniEtcdPasswordFile ?? envSource(options.patroniEtcdPasswordEnv),
  );
  paired(
    '--patroni-restapi-authentication-username',
    options.patroniRestapiAuthenticationUsername,
    '--patroni-restapi-authentication-password-file',
    options.patroniRestapiAuthenticationPasswordFile ?? envSource(options.patroniRestapiAuthenticationPasswordEnv),
  );
}

/** The InstanceSpec the options describe, with pglift's defaults where an option is absent. */
export function instanceSpecFromOptions(
  options: PatroniInstanceOptions,
  context: InstanceOptionsContext,
): InstanceSpec {
  checkInstanceOptions(options);
  const { settings, secrets } = context;
  const layout = instanceLayout(context.paths, options.name);
  const port = options.port ?? DEFAULT_POSTGRESQL_PORT;
  const connectHost = options.patroniPostgresqlConnectHost ?? context.hostname;
  const restConnect = options.patroniRestapiConnectAddress ?? `${connectHost}:${DEFAULT_RESTAPI_PORT}`;
  const passfile = settings.patroni?.postgresql.passfile;
  if (options.patroniEtcdUsername !== undefined && !secrets.etcdPassword) missingSecret('--patroni-etcd-password-file');
  if (options.patroniRestapiAuthenticationUsername !== undefined && !secrets.restapiPassword)
    missingSecret('--patroni-restapi-authentication-password-file');
  return {
    name: options.name,
    scope: options.patroniCluster ?? options.name,
    node: options.patroniNode ?? context.hostname,
    postgresql: {
      port,
      listenHost: options.patroniPostgresqlListen ?? DEFAULT_LISTEN_HOST,
      connectHost,
      dataDir: layout.dataDir,
      binDir: settings.postgresql.bin_dir,
      socketDir: layout.socketDir,
      pgpass: passfile ? passfile.replaceAll('{name}', options.name) : layout.pgpass,
      parameters: {},
      pgHba: defaultPgHba({ replication: settings.postgresql.replication_user }),
    },
    restapi: {
      listen: options.patroniRestapiListen ?? restConnect,
      connectAddress: restConnect,
      authentication:
        options.patroniRestapiAuthenticationUsername !== undefined
          ? { username: options.patroniRestapiAuthenticationUsername, password: secrets.restapiPassword! }
          : undefined,
    },
    etcdCredentials:
      options.patroniEtcdUsername !== undefined
        ? { username: options.patroniEtcdUsername, password: secrets.etcdPassword! }
        : undefined,
    superuser: { username: settings.postgresql.superuser, password: secrets.superuser },
    replication: { username: settings.postgresql.replication_user, password: secrets.replication },
    rewind: { username: settings.postgresql.rewind_user, password: secrets.rewind },
  };
}

function invalid(option: string, value: string, expected: string): never {
  throw new PgfleetError('INSTANCE_OPTION_INVALID', `${option} "${value}" is not valid: expected ${expected}`, {
    hint: `fix ${option}`,
  });
}

function envSource(variable: string | undefined): string | undefined {
  return variable === undefined ? undefined : `$${variable}`;
}

/** A user name needs its password (a file, or the environment variable standing in for one), and a password file its user name. */
function paired(userOption: string, user: string | undefined, fileOption: string, source: string | undefined): void {
  if (user !== undefined && user.trim() === '') invalid(userOption, user, 'a non-empty user name');
  if (user !== undefined && source === undefined) {
    throw new PgfleetError('INSTANCE_OPTION_MISSING_PASSWORD_FILE', `${userOption} is given without ${fileOption}`, {
      hint: `give ${fileOption} FILE (a 0600 file holding the password; passwords are never command-line arguments)`,
    });
  }
  if (source !== undefined && user === undefined) {
    throw new PgfleetError(
      'INSTANCE_OPTION_MISSING_USERNAME',
      `${source.startsWith('$') ? source : fileOption} is given without ${userOption}`,
      { hint: `give ${userOption} NAME as well` },
    );
  }
}

function missingSecret(option: string): never {
  throw new PgfleetError('INSTANCE_OPTION_MISSING_PASSWORD_FILE', `the password from ${option} was not read`, {
    hint: `give ${option} FILE`,
  });
}
