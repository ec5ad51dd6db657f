import { z } from 'zod';

/**
 * The site settings file (YAML), in the spirit of pglift's: `patroni: {}`
 * means every default, with an open etcd on 127.0.0.1:2379. Path defaults
 * that depend on the invoking user are filled by `resolveSitePaths`.
 * Rules spanning several fields live in settings-rules.ts (each has its own
 * code and message); descriptions here end up in `pgfleet settings schema`.
 */
const filePath = z.string().min(1);
const DCS_PREFIX = /^\/(?:[^/\s]+\/)*$/;
/** host:port, IPv6 in brackets ([::1]:2379), as Patroni's etcd `hosts` takes them. */
const HOST_PORT = /^(?:[^\s/:[\]]+|\[[0-9A-Fa-f:.]+\]):\d{1,5}$/;

export const EtcdSettingsSchema = z
  .strictObject({
    hosts: z
      .array(z.string().regex(HOST_PORT, 'expected host:port'))
      .min(1)
      .default(['127.0.0.1:2379'])
      .describe('etcd client endpoints, host:port'),
    protocol: z.enum(['http', 'https']).default('http').describe('https requires TLS from Patroni and pgfleet to etcd'),
    cacert: filePath.optional().describe('CA certificate of the etcd servers (needs protocol: https)'),
    cert: filePath.optional().describe('client certificate for etcd (needs key and protocol: https)'),
    key: filePath.optional().describe('private key of the client certificate (needs cert)'),
    version: z
      .enum(['etcd3', 'etcd'])
      .default('etcd3')
      .describe('etcd3 (v3 API) or etcd (the deprecated v2 API): names the DCS section of the Patroni YAML'),
    namespace: z
      .string()
      .regex(DCS_PREFIX, 'expected an absolute prefix ending with "/", such as /service/')
      .default('/service/')
      .describe('Patroni namespace: clusters live under <namespace><scope>/'),
  })
  .describe('How Patroni (and pgfleet) reach etcd');

export const RestApiSettingsSchema = z
  .strictObject({
    cafile: filePath.optional().describe('CA that signs the client certificates the REST API accepts'),
    certfile: filePath.optional().describe('server certificate of the REST API (enables TLS)'),
    keyfile: filePath.optional().describe('private key of certfile'),
    verify_client: z
      .enum(['none', 'optional', 'required'])
      .default('none')
      .describe('client certificates: optional = for unsafe calls, required = for every call (needs certfile)'),
    authentication: z
      .strictObject({
        username: z.string().min(1).default('patroni').describe('basic-auth user of the unsafe endpoints'),
        password_file: filePath.describe(
          'file holding the password (0600); {scope} is replaced by the cluster name: one password per cluster, shared by its members so patronictl on any member reaches the leader',
        ),
      })
      .optional()
      .describe(
        "basic auth of the unsafe endpoints, for every instance (an instance's own --patroni-restapi-authentication-* options take precedence); should go with TLS",
      ),
  })
  .describe("TLS of each instance's Patroni REST API");

export const CtlSettingsSchema = z
  .strictObject({
    cacert: filePath.optional().describe('CA of the REST API server certificates'),
    certfile: filePath.optional().describe('client certificate used by patronictl and pgfleet'),
    keyfile: filePath.optional().describe('private key of certfile'),
    insecure: z.boolean().default(false).describe('skip verifying the REST API server certificate'),
    restapi_credentials: z
      .boolean()
      .default(false)
      .describe(
        "also write the instance's REST API basic-auth credentials to ctl.authentication (needs Patroni >= 3.1; older patronictl reads restapi.authentication)",
      ),
  })
  .describe('How patronictl and pgfleet authenticate to the REST API');

export const WatchdogSettingsSchema = z
  .strictObject({
    mode: z
      .enum(['off', 'automatic', 'required'])
      .default('off')
      .describe('required: Patroni refuses to lead without a working watchdog'),
    device: filePath
      .optional()
      .describe('watchdog device (Patroni defaults to /dev/watchdog); must exist when mode is required'),
    safety_margin: z
      .number()
      .int()
      .min(-1)
      .optional()
      .describe('seconds between watchdog expiry and leader key expiry; -1 = ttl / 2'),
  })
  .describe('Linux watchdog support of Patroni');

export const PatroniPostgresqlSettingsSchema = z.strictObject({
  use_pg_rewind: z.boolean().default(false).describe('let Patroni run pg_rewind to rejoin a former primary'),
  passfile: z
    .string()
    .optional()
    .describe('path template of the pgpass file Patroni writes; {name} is the instance name'),
});

export const ConfigurationModeSchema = z
  .strictObject({
    auth: z
      .enum(['local', 'dynamic'])
      .default('local')
      .describe("pg_hba in each node's YAML (local) or in the DCS, set at bootstrap (dynamic)"),
    parameters: z
      .enum(['local', 'dynamic'])
      .default('local')
      .describe("PostgreSQL parameters in each node's YAML (local) or in the DCS (dynamic)"),
  })
  .describe('Where pg_hba and PostgreSQL parameters are managed');

/** Where Debian's patroni package (pg_createconfig_patroni) puts members' files: `/etc/patroni/<version>-<cluster>.yml`. */
export const DEBIAN_PATRONI_PATTERNS = ['/etc/patroni/*.yml', '/etc/patroni/*.yaml'] as const;

export const PatroniSettingsSchema = z
  .strictObject({
    etcd: EtcdSettingsSchema.default(EtcdSettingsSchema.parse({})),
    restapi: RestApiSettingsSchema.default(RestApiSettingsSchema.parse({})),
    ctl: CtlSettingsSchema.optional(),
    watchdog: WatchdogSettingsSchema.default(WatchdogSettingsSchema.parse({})),
    postgresql: PatroniPostgresqlSettingsSchema.default(PatroniPostgresqlSettingsSchema.parse({})),
    configuration_mode: ConfigurationModeSchema.default(ConfigurationModeSchema.parse({})),
    template: filePath
      .optional()
      .describe('Patroni YAML template replacing the built-in one (relative paths: from the settings file)'),
    enforce_config_validation: z
      .boolean()
      .default(true)
      .describe(
        'fail when `patroni --validate-config` reports errors other than loopback addresses, unreachable etcd hosts or ports in use',
      ),
    execpath: filePath.default('/usr/bin/patroni').describe('the patroni program'),
    ctlpath: filePath.default('/usr/bin/patronictl').describe('the patronictl program'),
    configdir: filePath
      .optional()
      .describe(
        'directory of the generated Patroni YAML files (default /etc/patroni as root, else under the data home)',
      ),
    logdir: filePath.optional().describe('directory of the Patroni logs'),
    member_files: z
      .array(filePath)
      .default([...DEBIAN_PATRONI_PATTERNS])
      .describe(
        "where this host's Patroni YAMLs that pgfleet did not create are found (shell patterns: *, ?, [..], {a,b}): stopped members are found here, running ones from their processes; configdir (*.yml, *.yaml) is always looked at. Members whose etcd or namespace is not this site's are left alone",
      ),
    user: z
      .string()
      .min(1)
      .default('postgres')
      .describe('OS user Patroni and PostgreSQL run as when pgfleet runs as root'),
  })
  .describe('Patroni: present (even as `patroni: {}`) to manage instances with Patroni');

export const PostgresqlSettingsSchema = z.strictObject({
  bin_dir: filePath.default('/usr/lib/postgresql/15/bin').describe('directory of the PostgreSQL programs'),
  datadir: filePath.optional().describe("parent of the instances' directories ({datadir}/{name})"),
  rundir: filePath.optional().describe("parent of the instances' socket directories"),
  superuser: z.string().min(1).default('postgres').describe('PostgreSQL superuser role'),
  replication_user: z.string().min(1).default('replicator').describe('PostgreSQL replication role'),
  rewind_user: z.string().min(1).default('rewind_user').describe('PostgreSQL role pg_rewind connects as'),
});

export const EtcdAdminSettingsSchema = z.strictObject({
  username: z.string().min(1).default('root').describe('etcd user that manages users and roles'),
  password_file: filePath
    .optional()
    .describe('file holding the admin password (0600); $PGFLEET_ETCD_ADMIN_PASSWORD overrides it'),
  auth_token: z
    .enum(['simple', 'jwt'])
    .optional()
    .describe(
      "etcd's --auth-token type, declared for when pgfleet cannot read it (etcd's /debug/vars unreachable while auth is off)",
    ),
});

export const TenancySettingsSchema = z.strictObject({
  user_format: z
    .string()
    .includes('{scope}')
    .default('patroni-{scope}')
    .describe("name of a tenant's etcd user; {scope} is replaced"),
  role_format: z
    .string()
    .includes('{scope}')
    .default('patroni-{scope}')
    .describe("name of a tenant's etcd role; {scope} is replaced"),
  secrets_dir: filePath.optional().describe('one password file per tenant, 0600'),
  tenants_file: filePath.optional().describe('YAML listing extra tenants or overriding names'),
  namespaces: z
    .array(z.string().regex(DCS_PREFIX))
    .default([])
    .describe('namespaces scanned for clusters in the DCS, besides patroni.etcd.namespace'),
});

export const PkiSettingsSchema = z.strictObject({
  expiry_warning_days: z
    .number()
    .int()
    .min(1)
    .max(3650)
    .default(30)
    .describe(
      '`pgfleet audit` warns about a certificate in use this many days before it expires (critical once expired); renew with `pgfleet pki renew`',
    ),
});

export const SiteSettingsSchema = z
  .strictObject({
    prefix: filePath.optional().describe("root of pgfleet's state (instances, secrets)"),
    postgresql: PostgresqlSettingsSchema.default(PostgresqlSettingsSchema.parse({})),
    patroni: PatroniSettingsSchema.optional(),
    etcd_admin: EtcdAdminSettingsSchema.default(EtcdAdminSettingsSchema.parse({})),
    tenancy: TenancySettingsSchema.default(TenancySettingsSchema.parse({})),
    pki: PkiSettingsSchema.default(PkiSettingsSchema.parse({})),
  })
  .describe('pgfleet site settings');

export type SiteSettings = z.infer<typeof SiteSettingsSchema>;
export type PatroniSettings = z.infer<typeof PatroniSettingsSchema>;
export type EtcdSettings = z.infer<typeof EtcdSettingsSchema>;
export type RestApiSettings = z.infer<typeof RestApiSettingsSchema>;
export type CtlSettings = z.infer<typeof CtlSettingsSchema>;
export type WatchdogSettings = z.infer<typeof WatchdogSettingsSchema>;
export type TenancySettings = z.infer<typeof TenancySettingsSchema>;

/** Settings with `patroni` present and every default applied. */
export function defaultPatroniSettings(): PatroniSettings {
  return PatroniSettingsSchema.parse({});
}
