import type { EtcdCredentials } from '../adapters/etcd/etcd-client.js';

/** Which etcd user each cluster uses, and its credentials where this host has them (tenancy). */
export interface TenantDirectory {
  userFor(namespace: string, scope: string): string | undefined;
  credentialsFor(namespace: string, scope: string): Promise<EtcdCredentials | undefined>;
}
