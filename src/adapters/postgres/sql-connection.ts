import pg from 'pg';
import type { Secret } from '../../core/secret.js';

export interface SqlTarget {
  host: string;
  port: number;
  user: string;
  password: Secret;
  database?: string | undefined;
}

/**
 * Runs `work` on one PostgreSQL connection and always closes it. The
 * password goes to the server in the SCRAM exchange only.
 */
export async function withSqlConnection<T>(target: SqlTarget, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user: target.user,
    password: target.password.reveal(),
    database: target.database ?? 'postgres',
    connectionTimeoutMillis: 5_000,
    application_name: 'pgfleet',
  });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}
