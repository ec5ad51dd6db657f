import { join } from 'node:path';
import type { TokenType } from '../core/migration/enforce-gates.js';
import { type SitePaths, resolveSitePaths } from '../core/settings/site-paths.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { EtcdClient, type EtcdCredentials } from '../adapters/etcd/etcd-client.js';
import type { EtcdTlsFiles } from '../adapters/etcd/gateway-transport.js';
import type { PatroniRestCredentials } from '../adapters/patroni/rest-client.js';
import { etcdAccessFromSettings } from '../adapters/settings/etcd-access.js';
import { isRoot } from '../adapters/process/os-user.js';
import { type PatroniDaemonAccess, patroniDaemonAccess } from '../node/patroni-restart.js';
import { isAdopted } from '../node/adopted-local-instance.js';
import type { LocalInstance } from '../node/local-instances.js';
import {
  type LeftAloneFile,
  type LocalMemberProblem,
  memberSourcesFromSettings,
  thisHostMembers,
} from '../node/this-host-members.js';
import { FleetRestClients } from './fleet-rest.js';
import { type SettingsTenantDirectory, tenantDirectoryFromSettings } from './settings-tenant-directory.js';
import type { TenantDirectory } from './tenant-directory.js';

/** This host's side of the fleet: its Patroni members, how pgfleet reaches other members' REST APIs, how to restart a local Patroni. */
export interface ThisHost {
  /** pgfleet's own instances and the members it adopts (running Patroni processes, configured locations): see thisHostMembers. */
  localInstances: LocalInstance[];
  /** Members' files or processes of this host that cannot be used, each with why: plans and gates name them. */
  localProblems?: LocalMemberProblem[] | undefined;
  /** Patroni files and processes of this host that belong to another fleet (etcd, namespace), left alone. */
  leftAlone?: LeftAloneFile[] | undefined;
  restCredentials?: PatroniRestCredentials | undefined;
  /** How to restart a local Patroni daemon (a rollback restarts one whose view of the DCS froze); without it, such a member is only reported. */
  patroniDaemon?: PatroniDaemonAccess | undefined;
}

/** The live fleet as every feature sees it: etcd and its admin identity, the namespaces scanned, this host's members and how to reach and restart them. */
export interface FleetConnection extends ThisHost {
  endpoints: string[];
  tls?: EtcdTlsFiles | undefined;
  namespaces: string[];
  admin: EtcdCredentials;
  /** Declared by the operator when etcd's token type cannot be read (ETCD_AUTH_TOKEN in its environment). */
  declaredTokenType?: TokenType | undefined;
  tenants: TenantDirectory;
  /** Where guarded runs keep their reports (JSON + text); none are written without it. */
  reportDir?: string | undefined;
}

/** The site paths of this host, as the settings and the environment resolve them. */
export function sitePathsOf(settings: SiteSettings, env: NodeJS.ProcessEnv = process.env): SitePaths {
  return resolveSitePaths(settings, { isRoot: isRoot(), home: env.HOME ?? '/', env });
}

/**
 * This host's members and access, from the settings: one reading shared by
 * every feature. `adopt: false` keeps pgfleet's own instances only, for an
 * operation that can only rewrite whole files (members pgfleet did not
 * create are then neither listed nor touched).
 */
export async function thisHostFromSettings(
  settings: SiteSettings,
  paths: SitePaths,
  options: { adopt?: boolean } = {},
): Promise<Required<ThisHost>> {
  const patroni = settings.patroni!;
  const members = await thisHostMembers(memberSourcesFromSettings(settings, paths));
  const adopt = options.adopt ?? true;
  return {
    localInstances: adopt ? members.instances : members.instances.filter((instance) => !isAdopted(instance)),
    localProblems: adopt ? members.problems : [],
    leftAlone: members.leftAlone,
    restCredentials: patroni.ctl
      ? {
          cafile: patroni.ctl.cacert,
          certfile: patroni.ctl.certfile,
          keyfile: patroni.ctl.keyfile,
          insecure: patroni.ctl.insecure,
        }
      : {},
    patroniDaemon: patroniDaemonAccess(patroni, paths),
  };
}

/** The fleet from the site settings: etcd, admin identity, tenants, local members, where reports go. */
export async function fleetConnectionFromSettings(
  settings: SiteSettings,
  env: NodeJS.ProcessEnv = process.env,
): Promise<FleetConnection & { tenants: SettingsTenantDirectory }> {
  const access = await etcdAccessFromSettings(settings, env);
  const paths = sitePathsOf(settings, env);
  return {
    ...access,
    ...(await thisHostFromSettings(settings, paths)),
    tenants: await tenantDirectoryFromSettings(settings, paths.secretsDir),
    reportDir: join(paths.prefix, 'reports'),
  };
}

/** The clients a fleet operation works through: etcd as admin, and a REST client per member. */
export interface FleetClients {
  admin: EtcdClient;
  rest: FleetRestClients;
}

/** Runs `work` with the admin etcd client and the members' REST clients, always closing both. */
export async function withFleetClients<T>(
  connection: Pick<FleetConnection, 'endpoints' | 'tls' | 'localInstances' | 'restCredentials'> & {
    admin?: EtcdCredentials | undefined;
  },
  work: (clients: FleetClients) => Promise<T>,
): Promise<T> {
  const admin = new EtcdClient({ endpoints: connection.endpoints, tls: connection.tls, credentials: connection.admin });
  const rest = new FleetRestClients(connection.localInstances, connection.restCredentials);
  try {
    return await work({ admin, rest });
  } finally {
    await rest.close();
    await admin.close();
  }
}

/** Runs `work` with an etcd client holding the admin identity, always closed. */
export async function withAdminClient<T>(
  connection: Pick<FleetConnection, 'endpoints' | 'tls'> & { admin?: EtcdCredentials | undefined },
  work: (admin: EtcdClient) => Promise<T>,
): Promise<T> {
  const admin = new EtcdClient({ endpoints: connection.endpoints, tls: connection.tls, credentials: connection.admin });
  try {
    return await work(admin);
  } finally {
    await admin.close();
  }
}

/** Whether etcd auth is on right now (an anonymous probe: see EtcdClient.isAuthEnabled). */
export async function etcdAuthEnabled(connection: Pick<FleetConnection, 'endpoints' | 'tls'>): Promise<boolean> {
  return withAdminClient({ endpoints: connection.endpoints, tls: connection.tls }, (anonymous) =>
    anonymous.isAuthEnabled(),
  );
}
