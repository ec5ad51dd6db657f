import { randomBytes } from 'node:crypto';
import { describeError } from '../core/errors.js';
import { type DeclaredClient, describeGrant } from '../core/tenancy/declared-clients.js';
import { EtcdClient, type EtcdCredentials } from '../adapters/etcd/etcd-client.js';
import { EtcdError } from '../adapters/etcd/etcd-error.js';
import type { EtcdTlsFiles } from '../adapters/etcd/gateway-transport.js';

export interface DeclaredClientProbeResult {
  client: string;
  user: string;
  ok: boolean;
  detail: string;
  /** Each check, in order: what was tried and what etcd answered. */
  checks: Array<{ what: string; ok: boolean; detail: string }>;
}

/**
 * A declared client's identity, proven with its own credentials once auth
 * is on: it reads what it must read (its key, or its prefix), it is denied
 * a write where it only reads, and it is denied a neighbour's keys (another
 * cluster's leader key; for a one-key client, its own cluster's config key
 * too). A client that reads and writes its cluster (patronictl) writes,
 * reads back and deletes a key of its own there.
 *
 * The denied write is a transaction whose condition never holds (a key's
 * version below 0): etcd checks the permission of every operation of a
 * transaction before it evaluates anything, so a read-only role is refused,
 * and a role that could write would still write nothing.
 */
export async function probeDeclaredClient(options: {
  endpoints: string[];
  tls?: EtcdTlsFiles | undefined;
  client: DeclaredClient;
  credentials: EtcdCredentials;
  /** A key of another cluster (its leader key) the client must not read. */
  neighbourKey: string | undefined;
}): Promise<DeclaredClientProbeResult> {
  const { client } = options;
  const etcd = new EtcdClient({ endpoints: options.endpoints, tls: options.tls, credentials: options.credentials });
  const checks: DeclaredClientProbeResult['checks'] = [];
  const check = async (what: string, expect: 'allowed' | 'denied', run: () => Promise<unknown>): Promise<void> => {
    try {
      await run();
      checks.push({
        what,
        ok: expect === 'allowed',
        detail: expect === 'allowed' ? 'allowed' : 'ALLOWED: its role is wider than declared',
      });
    } catch (error) {
      const denied = error instanceof EtcdError && error.kind === 'permission-denied';
      if (error instanceof EtcdError && error.kind === 'authentication-failed') {
        checks.push({
          what,
          ok: false,
          detail: `etcd refused its password: the password file does not match user ${client.user} (run \`pgfleet etcd tenants apply\`)`,
        });
        return;
      }
      checks.push({
        what,
        ok: denied === (expect === 'denied'),
        detail: denied ? 'denied' : describeError(error),
      });
    }
  };
  try {
    const { grant } = client;
    await check(`read ${grant.key}${grant.prefix ? ' and below' : ''}`, 'allowed', () =>
      grant.prefix ? etcd.getPrefix(grant.key, { keysOnly: true, limit: 1 }) : etcd.get(grant.key),
    );
    if (checks.at(-1)?.ok) {
      if (grant.permType === 'READ') {
        await check(`write ${grant.key}`, 'denied', () =>
          etcd.txn({
            compare: [{ key: grant.key, target: 'version', result: 'less', value: 0 }],
            success: [{ put: { key: grant.key, value: 'pgfleet probe: this write must be denied' } }],
          }),
        );
      } else {
        const token = randomBytes(6).toString('hex');
        const key = `${grant.key}pgfleet-verify-${token}`;
        await check(`write, read back and delete ${key}`, 'allowed', async () => {
          await etcd.put(key, token);
          if ((await etcd.get(key))?.value !== token) throw new Error(`read back a different value from ${key}`);
          await etcd.delete(key);
        });
      }
      if (!grant.prefix && client.cluster)
        await check(`read ${client.cluster.prefix}config (its cluster, not its key)`, 'denied', () =>
          etcd.get(`${client.cluster!.prefix}config`),
        );
      if (options.neighbourKey)
        await check(`read ${options.neighbourKey} (a neighbour's key)`, 'denied', () =>
          etcd.get(options.neighbourKey!),
        );
    }
  } finally {
    await etcd.close();
  }
  const failed = checks.filter((entry) => !entry.ok);
  return {
    client: client.name,
    user: client.user,
    ok: failed.length === 0,
    detail:
      failed.length === 0
        ? [
            `${describeGrant(client.grant)} works`,
            ...checks.filter((entry) => entry.detail === 'denied').map((entry) => `${entry.what}: denied`),
          ].join('; ')
        : failed.map((entry) => `${entry.what}: ${entry.detail}`).join('; '),
    checks,
  };
}
