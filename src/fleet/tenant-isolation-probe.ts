import { randomBytes } from 'node:crypto';
import { describeError } from '../core/errors.js';
import { EtcdClient, type EtcdCredentials } from '../adapters/etcd/etcd-client.js';
import { EtcdError } from '../adapters/etcd/etcd-error.js';
import type { EtcdTlsFiles } from '../adapters/etcd/gateway-transport.js';

/** A prefix another tenant owns, as a probe target. */
export interface ProbedPrefix {
  /** `/service/alpha2`, for messages. */
  tenant: string;
  /** `/service/alpha2/` */
  prefix: string;
}

export interface TenantIsolationProbe {
  endpoints: string[];
  tls?: EtcdTlsFiles | undefined;
  tenant: ProbedPrefix;
  credentials: EtcdCredentials;
  /** Every other tenant's prefix: reading `<prefix>leader` and writing a probe key there must be denied. */
  others: readonly ProbedPrefix[];
  /** A key outside every tenant prefix: reading and writing it must be denied. */
  outsideKey: string;
  /** Removes a probe key that a write which should have been denied created (as admin). */
  cleanUp?: ((key: string) => Promise<void>) | undefined;
}

/** An operation that should have been denied and was not. */
export interface IsolationBreach {
  op: 'read' | 'write';
  key: string;
}

export interface TenantIsolationResult {
  tenant: string;
  user: string;
  ok: boolean;
  /** Put, get and delete of a probe key in its own prefix. */
  ownPrefix: { ok: boolean; detail: string };
  /** Other tenants in whose prefix both the read and the write were denied. */
  deniedIn: string[];
  outsideDenied: boolean;
  breaches: IsolationBreach[];
  /** Probes that could not be carried out (etcd unreachable, unexpected answers). */
  errors: string[];
}

/**
 * The live isolation proof for one tenant, with its own credentials: a key
 * under its own prefix can be written, read back and deleted; reading
 * another tenant's `leader` key and writing under its prefix are denied
 * ("permission denied"), and so are both outside every prefix.
 */
export async function probeTenantIsolation(probe: TenantIsolationProbe): Promise<TenantIsolationResult> {
  const result: TenantIsolationResult = {
    tenant: probe.tenant.tenant,
    user: probe.credentials.username,
    ok: false,
    ownPrefix: { ok: false, detail: 'not probed' },
    deniedIn: [],
    outsideDenied: false,
    breaches: [],
    errors: [],
  };
  const client = new EtcdClient({ endpoints: probe.endpoints, tls: probe.tls, credentials: probe.credentials });
  const token = randomBytes(6).toString('hex');
  const probeKey = (prefix: string): string => `${prefix}pgfleet-verify-${token}`;
  try {
    result.ownPrefix = await ownPrefixWorks(client, probeKey(probe.tenant.prefix), token);
    if (!result.ownPrefix.ok) return result;
    for (const other of probe.others) {
      const read = await denied(client, 'read', `${other.prefix}leader`, result, probe.cleanUp);
      const write = await denied(client, 'write', probeKey(other.prefix), result, probe.cleanUp);
      if (read && write) result.deniedIn.push(other.tenant);
    }
    const outsideRead = await denied(client, 'read', probe.outsideKey, result, probe.cleanUp);
    const outsideWrite = await denied(client, 'write', probe.outsideKey, result, probe.cleanUp);
    result.outsideDenied = outsideRead && outsideWrite;
    result.ok =
      result.breaches.length === 0 &&
      result.errors.length === 0 &&
      result.deniedIn.length === probe.others.length &&
      result.outsideDenied;
    return result;
  } finally {
    await client.close();
  }
}

async function ownPrefixWorks(
  client: EtcdClient,
  key: string,
  token: string,
): Promise<{ ok: boolean; detail: string }> {
  try {
    await client.put(key, token);
    const read = await client.get(key);
    await client.delete(key);
    if (read?.value !== token) return { ok: false, detail: `read back a different value from ${key}` };
    return { ok: true, detail: 'put, get and delete in its own prefix work' };
  } catch (error) {
    if (error instanceof EtcdError && error.kind === 'authentication-failed')
      return {
        ok: false,
        detail:
          'etcd refused its password: the password file does not match the user (run `pgfleet etcd tenants apply`)',
      };
    return { ok: false, detail: `its own prefix: ${describeError(error)}` };
  }
}

/** True when etcd denied the operation; a success is recorded as a breach, anything else as an error. */
async function denied(
  client: EtcdClient,
  op: 'read' | 'write',
  key: string,
  result: TenantIsolationResult,
  cleanUp: TenantIsolationProbe['cleanUp'],
): Promise<boolean> {
  try {
    if (op === 'read') await client.get(key);
    else await client.put(key, 'pgfleet verify: this write should have been denied');
  } catch (error) {
    if (error instanceof EtcdError && error.kind === 'permission-denied') return true;
    result.errors.push(`${op} ${key}: ${describeError(error)}`);
    return false;
  }
  result.breaches.push({ op, key });
  if (op === 'write')
    await cleanUp?.(key).catch((error: unknown) =>
      result.errors.push(`could not remove ${key}: ${describeError(error)}`),
    );
  return false;
}
