import { ExitCode } from '../core/errors.js';
import type { OperationOutcome, OperationProgress } from '../core/operation-outcome.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { resolvePkiDirectory } from '../adapters/pki/pki-directory.js';
import { type RenewalReport, type RenewedUse, renewCertificates } from './certificate-renewal.js';

/** `pgfleet pki renew` as the CLI runs it: one call, one outcome. */
export async function renewCertificatesFromSettings(
  settings: SiteSettings,
  request: {
    /** --dir; else $PGFLEET_PKI_DIR, else <prefix>/pki. */
    pkiDir?: string | undefined;
    settingsFile?: string | undefined;
    uses: RenewedUse[];
    days?: number | undefined;
    check?: boolean | undefined;
    progress: OperationProgress;
  },
): Promise<OperationOutcome<RenewalReport>> {
  const location = resolvePkiDirectory({ explicit: request.pkiDir, settingsFile: request.settingsFile });
  request.progress.detail(`PKI directory ${location.dir} (from ${location.source})`);
  const report = await renewCertificates({
    settings,
    pkiDir: location.dir,
    uses: request.uses.length > 0 ? request.uses : undefined,
    days: request.days,
    check: request.check,
    onProgress: (message) => request.progress.step(message),
  });
  return {
    data: report,
    text: () => renderRenewal(report),
    exitCode: report.blocked ? ExitCode.findings : ExitCode.ok,
  };
}

function renderRenewal(report: RenewalReport): string {
  const lines: string[] = [];
  for (const entry of report.certificates) {
    if ('newFingerprint' in entry) {
      lines.push(`${entry.use}: ${entry.certFile} renewed, valid until ${entry.newNotAfter} (was ${entry.notAfter})`);
      for (const probe of entry.probes) lines.push(`  ${probe.member}: ${probe.ok ? '' : 'FAILED: '}${probe.detail}`);
    } else {
      lines.push(
        `${entry.use}: ${entry.certFile} (${entry.subject}, until ${entry.notAfter}); used by ${entry.members.join(', ') || 'no member of this host'}`,
      );
      for (const blocker of entry.blockers) lines.push(`  BLOCKED: ${blocker}`);
    }
  }
  if (report.outcome === 'planned') lines.push(report.blocked ? 'renewal is blocked' : 'nothing blocks the renewal');
  return lines.join('\n') || 'the settings name no certificate to renew';
}
