import { randomBytes } from 'node:crypto';
import { mapWithConcurrency } from '../core/bounded-concurrency.js';
import { describeError } from '../core/errors.js';
import { tenantId } from '../core/tenancy/desired-tenants.js';
import { type IsolationFinding, checkIsolation } from '../core/tenancy/isolation-check.js';
import type { EtcdClient } from '../adapters/etcd/etcd-client.js';
import { readSecretFile } from '../adapters/fs/secret-file.js';
import { type TenantIsolationResult, probeTenantIsolation } from '../fleet/tenant-isolation-probe.js';
import { readTenants } from './tenancy-state.js';
import type { TenancyTarget } from './tenancy-target.js';

/** Tenants probed at once by the live part of verify. */
export const VERIFY_CONCURRENCY = 8;

export interface TenancyVerifyOptions {
  concurrency?: number | undefined;
  /** Only the static check over the role ranges. */
  staticOnly?: boolean | undefined;
}

export interface TenancyVerifyReport {
  authEnabled: boolean;
  tenants: string[];
  /** The static check over every role range. */
  findings: IsolationFinding[];
  /** One result per tenant; null when the live part did not run. */
  live: TenantIsolationResult[] | null;
  /** Why the live part did not run. */
  liveSkipped: string | null;
  /** True when nothing was found and, unless only the static part was asked for, every tenant passed the live proof. */
  isolated: boolean;
}

/**
 * `etcd tenants verify`: the static check over the role ranges (works with
 * auth off), then, with auth on, the live proof for each tenant with its
 * own credentials, tenants side by side up to a bound.
 */
export async function verifyTenancy(
  target: TenancyTarget,
  admin: EtcdClient,
  options: TenancyVerifyOptions = {},
): Promise<TenancyVerifyReport> {
  const { tenants, snapshot } = await readTenants(target, admin);
  const findings = checkIsolation(tenants, snapshot);
  const report = { authEnabled: snapshot.authEnabled, tenants: tenants.map(tenantId), findings };
  if (options.staticOnly)
    return {
      ...report,
      live: null,
      liveSkipped: 'only the static check was asked for (--static-only)',
      isolated: findings.length === 0,
    };
  if (!snapshot.authEnabled) {
    return {
      ...report,
      live: null,
      liveSkipped:
        'etcd auth is off: every client may read and write every key, so isolation can only be proven live once auth is on (`pgfleet etcd auth enforce`)',
      isolated: false,
    };
  }
  // Tenant prefixes start with "/": a key without one is outside all of them.
  const outsideKey = `pgfleet-verify-outside-${randomBytes(6).toString('hex')}`;
  const targets = tenants.map((tenant) => ({ tenant: tenantId(tenant), prefix: tenant.prefix }));
  const live = await mapWithConcurrency(
    tenants,
    options.concurrency ?? VERIFY_CONCURRENCY,
    async (tenant, index): Promise<TenantIsolationResult> => {
      const file = target.directory.passwordFile(tenant.user);
      let password;
      try {
        password = await readSecretFile(file, `password of etcd user ${tenant.user}`);
      } catch (error) {
        return {
          tenant: tenantId(tenant),
          user: tenant.user,
          ok: false,
          ownPrefix: { ok: false, detail: 'not probed: no usable password file on this host' },
          deniedIn: [],
          outsideDenied: false,
          breaches: [],
          errors: [describeError(error)],
        };
      }
      return probeTenantIsolation({
        endpoints: target.access.endpoints,
        tls: target.access.tls,
        tenant: targets[index]!,
        credentials: { username: tenant.user, password },
        others: targets.filter((_, other) => other !== index),
        outsideKey,
        cleanUp: async (key) => {
          await admin.delete(key);
        },
      });
    },
  );
  return { ...report, live, liveSkipped: null, isolated: findings.length === 0 && live.every((result) => result.ok) };
}
