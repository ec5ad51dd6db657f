/**
 * The pg_hba rules an instance starts with: local connections by OS user
 * name, and password (SCRAM) connections from the networks this host is on,
 * for clients and for replication. Never `trust`, never 0.0.0.0/0.
 */
export function defaultPgHba(users: { replication: string }): string[] {
  return [
    'local all all peer',
    'host all all 127.0.0.1/32 scram-sha-256',
    'host all all samenet scram-sha-256',
    `host replication ${users.replication} 127.0.0.1/32 scram-sha-256`,
    `host replication ${users.replication} samenet scram-sha-256`,
  ];
}
