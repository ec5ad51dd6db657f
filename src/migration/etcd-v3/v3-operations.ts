import { ExitCode } from '../../core/errors.js';
import type { Confirmation, OperationOutcome, OperationProgress } from '../../core/operation-outcome.js';
import type { SiteSettings } from '../../core/settings/site-settings.js';
import { withFleetClients } from '../../fleet/fleet-connection.js';
import { type V3MovePlanOptions, planV3Move } from './v3-move-facts.js';
import { v3MoveFleetFromSettings, reachingHostMembers } from './v3-move-fleet.js';
import { exitCodeOf, summarizePlan } from './v3-move-report.js';
import { migrateToEtcdV3, rollBackEtcdV3 } from './v3-move-run.js';
import { etcdV3Status } from './v3-status.js';
import { serveV3HostSteps } from './host-step-run.js';
import { renderV3HostSteps, renderV3Plan, renderV3Report, renderV3Rollback, renderV3Status } from './v3-text.js';

/**
 * The move from etcd's v2 API to v3 as the CLI (and any caller) runs it:
 * each operation takes the site settings, reports progress, returns its
 * outcome.
 */

export async function showEtcdV3Plan(settings: SiteSettings, options: V3MovePlanOptions): Promise<OperationOutcome> {
  const fleet = await v3MoveFleetFromSettings(settings);
  const plan = await withFleetClients(reachingHostMembers(fleet), ({ admin, rest }) =>
    planV3Move(fleet, admin, rest, options),
  );
  const summary = summarizePlan(plan);
  return {
    data: { ...summary, v2ClientsSeen: plan.v2ClientsSeen, fleet: { ...plan.fleet, clusters: undefined } },
    text: () => renderV3Plan(plan),
    exitCode: summary.blocked > 0 ? ExitCode.findings : ExitCode.ok,
  };
}

/**
 * `etcd v3 migrate`: the coordinator's run; with `hostOnly`, this host's
 * part of a run coordinated elsewhere (its members moved when asked).
 */
export async function migrateEtcdV3(
  settings: SiteSettings,
  options: V3MovePlanOptions & {
    confirm: Confirmation;
    progress: OperationProgress;
    hostOnly?: boolean | undefined;
    /** Coordinator: how long it waits for each member's host; --host-only: how long it waits for a coordinator. */
    hostTimeoutMs?: number | undefined;
  },
): Promise<OperationOutcome> {
  const fleet = await v3MoveFleetFromSettings(settings);
  if (options.hostOnly) {
    const served = await serveV3HostSteps(fleet, {
      progress: (message) => options.progress.step(message),
      waitMs: options.hostTimeoutMs,
    });
    return {
      data: served,
      text: () => renderV3HostSteps(served),
      exitCode: served.steps.some((step) => !step.ok)
        ? ExitCode.failed
        : served.outcome === 'no-run'
          ? ExitCode.findings
          : ExitCode.ok,
    };
  }
  const report = await migrateToEtcdV3(fleet, {
    scopes: options.scopes,
    observeMs: options.observeMs,
    confirm: options.confirm,
    progress: (message) => options.progress.step(message),
    hostTimeoutMs: options.hostTimeoutMs,
  });
  return { data: report, text: () => renderV3Report(report), exitCode: exitCodeOf(report) };
}

export async function showEtcdV3Status(settings: SiteSettings): Promise<OperationOutcome> {
  const status = await etcdV3Status(await v3MoveFleetFromSettings(settings));
  return {
    data: status,
    text: () => renderV3Status(status),
    exitCode: status.interrupted ? ExitCode.findings : ExitCode.ok,
  };
}

export async function rollbackEtcdV3(
  settings: SiteSettings,
  options: { progress: OperationProgress; hostTimeoutMs?: number | undefined },
): Promise<OperationOutcome> {
  const report = await rollBackEtcdV3(
    await v3MoveFleetFromSettings(settings),
    (message) => options.progress.step(message),
    options.hostTimeoutMs,
  );
  const failed = report.clusters.some((cluster) => cluster.outcome === 'rollback-failed');
  return { data: report, text: () => renderV3Rollback(report), exitCode: failed ? ExitCode.failed : ExitCode.ok };
}
