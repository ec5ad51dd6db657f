import { buildAuditReport, runAuditRules, type AuditReport } from '../core/audit/audit-report.js';
import type { Severity } from '../core/audit/severity.js';
import { ExitCode } from '../core/errors.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { collectFleetSnapshot } from './collect-snapshot.js';

export interface AuditFleetOptions {
  settings: SiteSettings;
  settingsSource?: string | undefined;
  configFiles?: readonly string[] | undefined;
  live: boolean;
  minSeverity: Severity;
  toolVersion: string;
  env?: NodeJS.ProcessEnv | undefined;
  concurrency?: number | undefined;
  onPhase?: ((phase: 'host' | 'etcd' | 'restapi', elapsedMs: number) => void) | undefined;
}

export interface AuditFleetResult {
  report: AuditReport;
  /** 0: nothing at or above minSeverity; 1: findings. (2, the audit could not run, is a thrown PgfleetError.) */
  exitCode: number;
  elapsedMs: number;
}

/** `pgfleet audit` as a library call: collect the snapshot, run every rule, build the report. */
export async function auditFleet(options: AuditFleetOptions): Promise<AuditFleetResult> {
  const started = performance.now();
  const snapshot = await collectFleetSnapshot({
    settings: options.settings,
    settingsSource: options.settingsSource,
    configFiles: options.configFiles,
    live: options.live,
    env: options.env,
    concurrency: options.concurrency,
    onPhase: options.onPhase,
  });
  const report = buildAuditReport(runAuditRules(snapshot), {
    live: options.live,
    minSeverity: options.minSeverity,
    toolVersion: options.toolVersion,
    generatedAt: new Date(),
  });
  return {
    report,
    exitCode: report.summary.listed > 0 ? ExitCode.findings : ExitCode.ok,
    elapsedMs: performance.now() - started,
  };
}
