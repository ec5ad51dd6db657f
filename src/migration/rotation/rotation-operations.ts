import { ExitCode, PgfleetError } from '../../core/errors.js';
import type { OperationOutcome, OperationProgress } from '../../core/operation-outcome.js';
import type { SiteSettings } from '../../core/settings/site-settings.js';
import { fleetConnectionFromSettings } from '../../fleet/fleet-connection.js';
import { rollBackThisHost, rotateThisHost } from './host-step.js';
import type { RotationSelection } from './rotation-fleet.js';
import { rollbackTenantRotation, rotateTenantPasswords } from './rotation-run.js';
import { rotationStatus } from './rotation-status.js';
import { renderHostStep, renderRotationReport, renderRotationStatus } from './rotation-text.js';

/**
 * `pgfleet etcd tenants rotate` as the CLI (and any caller) runs it: one
 * call per action, each returning its outcome.
 */
export interface RotateRequest extends RotationSelection {
  check?: boolean | undefined;
  hostOnly?: boolean | undefined;
  progress: OperationProgress;
}

export async function rotateTenantPasswordsFromSettings(
  settings: SiteSettings,
  request: RotateRequest,
): Promise<OperationOutcome> {
  if (!request.all && request.scopes.length === 0)
    throw new PgfleetError('ROTATION_NOTHING_SELECTED', 'name the clusters to rotate, or give --all', {
      hint: 'pgfleet etcd tenants rotate alpha beta, or pgfleet etcd tenants rotate --all',
    });
  const fleet = await fleetConnectionFromSettings(settings);
  if (request.hostOnly) {
    const results = await rotateThisHost(fleet, request, (m) => request.progress.step(m));
    return {
      data: { outcome: 'host-step', members: results },
      text: () => renderHostStep(results),
      exitCode: results.some((result) => result.outcome === 'failed') ? ExitCode.failed : ExitCode.ok,
    };
  }
  const report = await rotateTenantPasswords(fleet, request, {
    check: request.check,
    onProgress: (m) => request.progress.step(m),
  });
  return {
    data: report,
    text: () => renderRotationReport(report),
    exitCode:
      report.outcome === 'awaiting-hosts' || (report.outcome === 'planned' && report.plan.blocked)
        ? ExitCode.findings
        : ExitCode.ok,
  };
}

export async function rollbackTenantRotationFromSettings(
  settings: SiteSettings,
  request: { hostOnly?: boolean | undefined; progress: OperationProgress },
): Promise<OperationOutcome> {
  const fleet = await fleetConnectionFromSettings(settings);
  if (request.hostOnly) {
    const results = await rollBackThisHost(fleet, (m) => request.progress.step(m));
    return {
      data: { outcome: 'host-rollback', members: results },
      text: () => renderHostStep(results),
      exitCode: results.some((result) => result.outcome === 'failed') ? ExitCode.failed : ExitCode.ok,
    };
  }
  const result = await rollbackTenantRotation(fleet, { onProgress: (m) => request.progress.step(m) });
  return {
    data: result,
    text: () => (result.steps.length > 0 ? result.steps.join('\n') : 'nothing to roll back'),
  };
}

export async function showTenantRotationStatus(settings: SiteSettings): Promise<OperationOutcome> {
  const status = await rotationStatus(await fleetConnectionFromSettings(settings));
  return { data: status, text: () => renderRotationStatus(status) };
}
