import type { AuthSnapshot } from '../core/etcd/auth-model.js';
import { formatRange } from '../core/etcd/key-range.js';
import { ExitCode } from '../core/errors.js';
import type { OperationOutcome, OperationProgress } from '../core/operation-outcome.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { actionView, describeAction, planView } from '../core/tenancy/tenancy-plan.js';
import type { EtcdClient } from '../adapters/etcd/etcd-client.js';
import { withAdminClient } from '../fleet/fleet-connection.js';
import { readAuthSnapshot } from './auth-snapshot-reader.js';
import { applyTenancy } from './tenancy-apply.js';
import { planTenancyFromEtcd } from './tenancy-state.js';
import { type TenancyTarget, type TenancyTargetOverrides, tenancyTargetFromSettings } from './tenancy-target.js';
import { renderApply, renderPlan, renderShow, renderVerify } from './tenancy-text.js';
import { verifyTenancy } from './tenancy-verify.js';

/**
 * `etcd tenants` as the CLI (and any caller) runs it: each operation takes the
 * site settings and the overrides of the tenancy target, works with an admin
 * etcd client that is always closed, and returns its outcome.
 */

/** Runs `work` with the tenancy target from the settings and an admin etcd client, always closed. */
async function withTenancyTarget<T>(
  settings: SiteSettings,
  overrides: TenancyTargetOverrides,
  work: (target: TenancyTarget, admin: EtcdClient) => Promise<T>,
): Promise<T> {
  const target = await tenancyTargetFromSettings(settings, {
    secretsDir: overrides.secretsDir,
    tenantsFile: overrides.tenantsFile,
  });
  const { endpoints, tls, admin } = target.access;
  return withAdminClient({ endpoints, tls, admin }, (client) => work(target, client));
}

/** plan: the changes apply would make; exit 1 when some are pending. */
export async function planEtcdTenants(
  settings: SiteSettings,
  options: TenancyTargetOverrides & { prune?: boolean | undefined },
): Promise<OperationOutcome> {
  const plan = await withTenancyTarget(settings, options, (target, admin) =>
    planTenancyFromEtcd(target, admin, { prune: options.prune }),
  );
  return {
    data: planView(plan),
    text: () => renderPlan(plan),
    exitCode: plan.actions.length > 0 ? ExitCode.findings : ExitCode.ok,
  };
}

/** apply: the plan carried out, each change told as a detail while it is made. */
export async function applyEtcdTenants(
  settings: SiteSettings,
  options: TenancyTargetOverrides & {
    prune?: boolean | undefined;
    resetMissingPasswords?: boolean | undefined;
    progress: OperationProgress;
  },
): Promise<OperationOutcome> {
  const report = await withTenancyTarget(settings, options, (target, admin) =>
    applyTenancy(target, admin, {
      prune: options.prune,
      resetMissingPasswords: options.resetMissingPasswords,
      onAction: (action) => options.progress.detail(`  ${describeAction(action)}`),
    }),
  );
  return {
    data: {
      applied: report.done.map(actionView),
      passwordsSynced: report.passwordsSynced,
      orphans: report.plan.orphans,
    },
    text: () => renderApply(report),
  };
}

/** show: etcd's users and roles, ranges decoded. */
export async function showEtcdTenants(settings: SiteSettings): Promise<OperationOutcome> {
  const snapshot = await withTenancyTarget(settings, {}, (target, admin) => readAuthSnapshot(admin, target.access));
  return { data: snapshotView(snapshot), text: () => renderShow(snapshot) };
}

function snapshotView(snapshot: AuthSnapshot): Record<string, unknown> {
  return {
    authEnabled: snapshot.authEnabled,
    users: snapshot.users,
    roles: snapshot.roles.map((role) => ({
      name: role.name,
      permissions: role.permissions.map((p) => ({ permType: p.permType, range: formatRange(p) })),
    })),
  };
}

/** verify: the isolation proven (static check, then each tenant live); exit 1 unless proven. */
export async function verifyEtcdTenants(
  settings: SiteSettings,
  options: TenancyTargetOverrides & { concurrency: number; staticOnly?: boolean | undefined },
): Promise<OperationOutcome> {
  const report = await withTenancyTarget(settings, options, (target, admin) =>
    verifyTenancy(target, admin, { concurrency: options.concurrency, staticOnly: options.staticOnly }),
  );
  return {
    data: report,
    text: () => renderVerify(report),
    exitCode: report.isolated ? ExitCode.ok : ExitCode.findings,
  };
}
