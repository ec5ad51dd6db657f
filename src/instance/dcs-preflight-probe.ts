import { randomBytes } from 'node:crypto';
import {
  type AdminView,
  type PreflightReport,
  type ProbeOutcome,
  clusterPrefix,
  diagnosePreflight,
} from '../core/instance/dcs-preflight.js';
import { coversWholeKeyspace, type KeyRange } from '../core/etcd/key-range.js';
import { EtcdAuthApi } from '../adapters/etcd/auth-api.js';
import { EtcdClient, type EtcdCredentials } from '../adapters/etcd/etcd-client.js';
import { EtcdError } from '../adapters/etcd/etcd-error.js';
import type { EtcdTlsFiles } from '../adapters/etcd/gateway-transport.js';

export interface PreflightTarget {
  endpoints: string[];
  tls?: EtcdTlsFiles | undefined;
  namespace: string;
  scope: string;
  credentials?: EtcdCredentials | undefined;
  /** pgfleet's admin identity, when it has one. */
  admin?: EtcdCredentials | undefined;
}

/**
 * Runs the pre-flight against the live etcd: auth state, the admin view of
 * the instance's user, and with auth on a PUT/GET/DELETE of a probe key
 * with the instance's own credentials.
 */
export async function runDcsPreflight(target: PreflightTarget): Promise<PreflightReport> {
  const anonymous = new EtcdClient({ endpoints: target.endpoints, tls: target.tls });
  try {
    const authEnabled = await anonymous.isAuthEnabled();
    const admin = target.credentials
      ? await readAdminView(target, target.credentials.username, authEnabled ? target.admin : undefined, authEnabled)
      : undefined;
    const probe =
      authEnabled && target.credentials ? await probeWithCredentials(target, target.credentials) : undefined;
    return diagnosePreflight({
      namespace: target.namespace,
      scope: target.scope,
      username: target.credentials?.username,
      authEnabled,
      probe,
      admin,
    });
  } finally {
    await anonymous.close();
  }
}

async function probeWithCredentials(target: PreflightTarget, credentials: EtcdCredentials): Promise<ProbeOutcome> {
  const client = new EtcdClient({ endpoints: target.endpoints, tls: target.tls, credentials });
  const key = `${clusterPrefix(target.namespace, target.scope)}pgfleet-preflight-${randomBytes(4).toString('hex')}`;
  let step: 'put' | 'get' | 'delete' = 'put';
  try {
    await client.put(key, 'pgfleet pre-flight');
    step = 'get';
    const read = await client.get(key);
    if (read?.value !== 'pgfleet pre-flight')
      return { kind: 'other', message: 'the probe key read back differs from what was written' };
    step = 'delete';
    await client.delete(key);
    return { kind: 'ok' };
  } catch (error) {
    if (!(error instanceof EtcdError)) throw error;
    if (error.kind === 'authentication-failed') return { kind: 'authentication-failed' };
    if (error.kind === 'permission-denied') return { kind: 'permission-denied', step };
    if (error.kind === 'user-name-empty') return { kind: 'user-name-empty' };
    if (error.kind === 'unreachable') return { kind: 'unreachable', message: error.message };
    return { kind: 'other', message: error.message };
  } finally {
    await client.close();
  }
}

/**
 * Users and roles are readable by anyone while auth is off, and by root once
 * it is on; without that access the admin part is skipped.
 */
async function readAdminView(
  target: PreflightTarget,
  username: string,
  admin: EtcdCredentials | undefined,
  authEnabled: boolean,
): Promise<AdminView | undefined> {
  if (authEnabled && !admin) return undefined;
  const client = new EtcdClient({ endpoints: target.endpoints, tls: target.tls, credentials: admin });
  try {
    const auth = new EtcdAuthApi(client);
    const user = await auth.getUser(username);
    if (!user) return { userExists: false, writableRanges: [], holdsRoot: false };
    const writableRanges: KeyRange[] = [];
    for (const roleName of user.roles) {
      if (roleName === 'root') continue;
      const role = await auth.getRole(roleName);
      for (const permission of role?.permissions ?? []) {
        if (permission.permType !== 'READ') writableRanges.push(permission);
      }
    }
    return {
      userExists: true,
      writableRanges,
      holdsRoot: user.roles.includes('root') || writableRanges.some(coversWholeKeyspace),
    };
  } catch (error) {
    if (
      error instanceof EtcdError &&
      (error.kind === 'authentication-failed' || error.kind === 'permission-denied' || error.kind === 'user-name-empty')
    )
      return undefined;
    throw error;
  } finally {
    await client.close();
  }
}
