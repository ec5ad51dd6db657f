import type { EtcdCredentials } from '../adapters/etcd/etcd-client.js';
import type { Acknowledgement } from '../core/census/acknowledgements.js';
import type { DeclaredClient } from '../core/tenancy/declared-clients.js';

/** Which etcd user each cluster uses, and its credentials where this host has them (tenancy). */
export interface TenantDirectory {
  userFor(namespace: string, scope: string): string | undefined;
  credentialsFor(namespace: string, scope: string): Promise<EtcdCredentials | undefined>;
  /** Clients that are not Patroni, declared in the tenants file (none when absent). */
  readonly clients?: readonly DeclaredClient[] | undefined;
  /** Census subjects acknowledged in the tenants file (none when absent). */
  readonly acknowledged?: readonly Acknowledgement[] | undefined;
  /** A declared client's credentials, from its password file here. */
  credentialsOfUser?(username: string): Promise<EtcdCredentials | undefined>;
  /** Where a user's password file is on this host. */
  passwordFile?(user: string): string;
}
