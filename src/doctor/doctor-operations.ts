import { ExitCode } from '../core/errors.js';
import type { OperationOutcome } from '../core/operation-outcome.js';
import { isRoot } from '../adapters/process/os-user.js';
import { doctorReport, renderDoctorReport } from './doctor-report.js';

/**
 * `pgfleet doctor` as the CLI (and any caller) runs it. It takes the settings
 * file named by --settings, not loaded settings: which file is in effect, and
 * whether it loads, is part of what it reports. Exit 2 when this host is not
 * ready.
 */
export async function showDoctorReport(options: { settingsFile?: string | undefined }): Promise<OperationOutcome> {
  const report = await doctorReport({ explicitSettings: options.settingsFile, asRoot: isRoot() });
  return { data: report, text: () => renderDoctorReport(report), exitCode: report.ok ? ExitCode.ok : ExitCode.usage };
}
