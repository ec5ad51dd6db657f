import type { Secret } from '../secret.js';

export type ParameterValue = string | number | boolean;

export interface RoleCredentials {
  username: string;
  password: Secret;
}

/**
 * Everything specific to one Patroni-managed PostgreSQL instance, as given on
 * `instance create` (or chosen by the lab). Settings-wide values live in
 * SiteSettings; this is the per-instance part.
 */
export interface InstanceSpec {
  /** pgfleet's name for the instance; names its files. */
  name: string;
  /** Patroni cluster name. */
  scope: string;
  /** Patroni member name, unique in the cluster. */
  node: string;
  postgresql: {
    port: number;
    /** listen_addresses. */
    listenHost: string;
    /** Host other members and clients use to reach this instance. */
    connectHost: string;
    dataDir: string;
    binDir: string;
    socketDir: string;
    pgpass: string;
    parameters: Record<string, ParameterValue>;
    pgHba: string[];
  };
  restapi: {
    /** host:port the REST API binds. */
    listen: string;
    /** host:port others use to reach it. */
    connectAddress: string;
    authentication?: RoleCredentials | undefined;
  };
  /** etcd user of the cluster's tenant. */
  etcdCredentials?: RoleCredentials | undefined;
  superuser: RoleCredentials;
  replication: RoleCredentials;
  rewind: RoleCredentials;
  /** Keys a user passed for this instance, merged above the template and below managed values. */
  userInput?: Record<string, unknown> | undefined;
}
