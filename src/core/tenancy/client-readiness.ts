import { PGFLEET_PREFIX } from '../migration/readiness-record.js';
import { type DeclaredClient, describeGrant } from './declared-clients.js';

/**
 * What `pgfleet etcd clients ready NAME` records in etcd once the operator
 * has configured a declared client with its credentials: the client, its
 * user and grant as declared then (a changed declaration is not ready
 * until acknowledged again), who and when. No password.
 */
export interface ClientReadinessRecord {
  name: string;
  kind: string;
  user: string;
  grant: string;
  host: string;
  /** The OS user who acknowledged it. */
  by: string;
  recordedAt: string;
}

export const CLIENT_READINESS_PREFIX = `${PGFLEET_PREFIX}readiness/clients/`;

export function clientReadinessKey(name: string): string {
  return `${CLIENT_READINESS_PREFIX}${name}`;
}

export function clientReadinessRecord(
  client: DeclaredClient,
  where: { host: string; by: string; at: Date },
): ClientReadinessRecord {
  return {
    name: client.name,
    kind: client.kind,
    user: client.user,
    grant: describeGrant(client.grant),
    host: where.host,
    by: where.by,
    recordedAt: where.at.toISOString(),
  };
}

/** Why a record does not vouch for the client as declared now, if it does not. */
export function readinessMismatch(record: ClientReadinessRecord, client: DeclaredClient): string | undefined {
  if (record.user !== client.user)
    return `it was recorded ready as user ${record.user}, now declared as ${client.user}`;
  if (record.grant !== describeGrant(client.grant))
    return `it was recorded ready for ${record.grant}, now declared for ${describeGrant(client.grant)}`;
  return undefined;
}
