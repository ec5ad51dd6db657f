import { renderAuditSarif } from '../core/audit/render-sarif.js';
import { renderAuditText } from '../core/audit/render-text.js';
import type { Severity } from '../core/audit/severity.js';
import type { OperationOutcome, OperationProgress } from '../core/operation-outcome.js';
import type { LoadedSettings } from '../adapters/settings/site-settings-file.js';
import { auditCouldNotRun } from './audit-failure.js';
import { auditFleet } from './audit-fleet.js';

/**
 * `pgfleet audit` as the CLI (and any caller) runs it. Exit 0: nothing at or
 * above minSeverity; 1: findings; any failure of the audit itself exits 2.
 * Asked for SARIF, the data is the SARIF log instead of pgfleet's report.
 */
export async function auditFromSettings(
  loaded: LoadedSettings,
  options: {
    live: boolean;
    minSeverity: Severity;
    configFiles?: readonly string[] | undefined;
    sarif: boolean;
    toolVersion: string;
    progress: OperationProgress;
  },
): Promise<OperationOutcome> {
  try {
    options.progress.step(
      `auditing ${options.live ? 'the fleet (static and live)' : 'this host (static; --live probes etcd and the REST APIs)'} with ${loaded.source ?? 'default settings'}`,
    );
    const { report, exitCode } = await auditFleet({
      settings: loaded.settings,
      settingsSource: loaded.source,
      configFiles: options.configFiles,
      live: options.live,
      minSeverity: options.minSeverity,
      toolVersion: options.toolVersion,
    });
    return {
      data: options.sarif ? renderAuditSarif(report) : report,
      text: () => renderAuditText(report),
      exitCode,
    };
  } catch (error) {
    throw auditCouldNotRun(error);
  }
}
