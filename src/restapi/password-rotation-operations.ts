import { ExitCode } from '../core/errors.js';
import type { OperationOutcome, OperationProgress } from '../core/operation-outcome.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { type RestPasswordRotationReport, rotateRestApiPasswords } from './password-rotation.js';

/** `pgfleet restapi rotate-password` as the CLI runs it: one call, one outcome. */
export async function rotateRestApiPasswordsFromSettings(
  settings: SiteSettings,
  request: { scopes: string[]; check?: boolean | undefined; progress: OperationProgress },
): Promise<OperationOutcome<RestPasswordRotationReport>> {
  const report = await rotateRestApiPasswords({
    settings,
    scopes: request.scopes,
    check: request.check,
    onProgress: (message) => request.progress.step(message),
  });
  return {
    data: report,
    text: () => renderRestPasswordRotation(report),
    exitCode: report.blockers.length > 0 ? ExitCode.findings : ExitCode.ok,
  };
}

function renderRestPasswordRotation(report: RestPasswordRotationReport): string {
  if (report.outcome === 'planned') {
    const lines = report.clusters.map(
      (cluster) => `${cluster.scope}: a new password for user ${report.username} into ${cluster.passwordFile}`,
    );
    for (const blocker of report.blockers) lines.push(`BLOCKED: ${blocker}`);
    lines.push(report.blockers.length > 0 ? 'the rotation is blocked' : 'nothing blocks the rotation');
    return lines.join('\n');
  }
  return report.clusters
    .flatMap((cluster) => [
      `${cluster.scope}: REST API password rotated (${cluster.passwordFile})`,
      ...cluster.members.map(
        (member) =>
          `  ${member.member}: new password ${member.newPassword}, old one ${member.oldPassword}${member.ctlAuthentication ? ' (ctl.authentication too)' : ''}`,
      ),
    ])
    .join('\n');
}
