import { z } from 'zod';

/**
 * The site settings file (YAML), in the spirit of pglift's: `patroni: {}`
 * means every default, with an open etcd on 127.0.0.1:2379. Path defaults
 * that depend on the invoking user are filled by `resolveSitePaths`.
 */
const filePath = z.string().min(1);

export const EtcdSettingsSchema = z
  .strictObject({
    hosts: z.array(z.string().regex(/^[^\s/:]+:\d{1,5}$/, 'expected host:port')).min(1).default(['127.0.0.1:2379']),
    protocol: z.enum(['http', 'https']).default('http'),
    cacert: filePath.optional(),
    cert: filePath.optional(),
    key: filePath.optional(),
    version: z.enum(['etcd3', 'etcd']).default('etcd3'),
    namespace: z
      .string()
      .regex(/^\/(?:[^/\s]+\/)*$/, 'expected an absolute prefix ending with "/", such as /service/')
      .default('/service/'),
  })
  .describe('How Patroni (and pgfleet) reach etcd');

export const RestApiSettingsSchema = z.strictObject({
  cafile: filePath.optional(),
  certfile: filePath.optional(),
  keyfile: filePath.optional(),
  verify_client: z.enum(['none', 'optional', 'required']).default('none'),
});

export const CtlSettingsSchema = z.strictObject({
  cacert: filePath.optional(),
  certfile: filePath.optional(),
  keyfile: filePath.optional(),
  insecure: z.boolean().default(false),
});

export const WatchdogSettingsSchema = z.strictObject({
  mode: z.enum(['off', 'automatic', 'required']).default('off'),
  device: filePath.optional(),
  safety_margin: z.number().int().min(-1).optional(),
});

export const PatroniPostgresqlSettingsSchema = z.strictObject({
  use_pg_rewind: z.boolean().default(false),
  /** Path template of the pgpass file Patroni writes; {name} is the instance name. */
  passfile: z.string().optional(),
});

export const ConfigurationModeSchema = z.strictObject({
  auth: z.enum(['local', 'dynamic']).default('local'),
  parameters: z.enum(['local', 'dynamic']).default('local'),
});

export const PatroniSettingsSchema = z.strictObject({
  etcd: EtcdSettingsSchema.default(EtcdSettingsSchema.parse({})),
  restapi: RestApiSettingsSchema.default(RestApiSettingsSchema.parse({})),
  ctl: CtlSettingsSchema.optional(),
  watchdog: WatchdogSettingsSchema.default(WatchdogSettingsSchema.parse({})),
  postgresql: PatroniPostgresqlSettingsSchema.default(PatroniPostgresqlSettingsSchema.parse({})),
  configuration_mode: ConfigurationModeSchema.default(ConfigurationModeSchema.parse({})),
  /** A Patroni YAML template replacing the built-in one. */
  template: filePath.optional(),
  /** Fail on `patroni --validate-config` errors other than the loopback/etcd-reachability ones. */
  enforce_config_validation: z.boolean().default(true),
  execpath: filePath.default('/usr/bin/patroni'),
  ctlpath: filePath.default('/usr/bin/patronictl'),
  /** Directory of the generated Patroni YAML files. */
  configdir: filePath.optional(),
  logdir: filePath.optional(),
  /** OS user Patroni and PostgreSQL run as when pgfleet runs as root. */
  user: z.string().min(1).default('postgres'),
});

export const PostgresqlSettingsSchema = z.strictObject({
  bin_dir: filePath.default('/usr/lib/postgresql/15/bin'),
  /** Parent of the instances' data directories ({datadir}/{name}). */
  datadir: filePath.optional(),
  rundir: filePath.optional(),
  superuser: z.string().min(1).default('postgres'),
  replication_user: z.string().min(1).default('replicator'),
  rewind_user: z.string().min(1).default('rewind_user'),
});

export const EtcdAdminSettingsSchema = z.strictObject({
  username: z.string().min(1).default('root'),
  /** File holding the admin password (0600); PGFLEET_ETCD_ADMIN_PASSWORD overrides it. */
  password_file: filePath.optional(),
});

export const TenancySettingsSchema = z.strictObject({
  /** Name of a tenant's etcd user; {scope} is replaced. */
  user_format: z.string().includes('{scope}').default('patroni-{scope}'),
  role_format: z.string().includes('{scope}').default('patroni-{scope}'),
  /** One password file per tenant, 0600. */
  secrets_dir: filePath.optional(),
  /** Optional YAML listing extra tenants or overriding names. */
  tenants_file: filePath.optional(),
  /** Namespaces scanned for clusters in the DCS (besides patroni.etcd.namespace). */
  namespaces: z.array(z.string().regex(/^\/(?:[^/\s]+\/)*$/)).default([]),
});

export const SiteSettingsSchema = z.strictObject({
  /** Root of pgfleet's state (instances, secrets). */
  prefix: filePath.optional(),
  postgresql: PostgresqlSettingsSchema.default(PostgresqlSettingsSchema.parse({})),
  patroni: PatroniSettingsSchema.optional(),
  etcd_admin: EtcdAdminSettingsSchema.default(EtcdAdminSettingsSchema.parse({})),
  tenancy: TenancySettingsSchema.default(TenancySettingsSchema.parse({})),
});

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
