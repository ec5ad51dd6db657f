import { ExitCode } from '../../core/errors.js';
import type { OperationOutcome, OperationProgress } from '../../core/operation-outcome.js';
import type { LoadedSettings } from '../../adapters/settings/site-settings-file.js';
import { etcdTlsFleetFromSettings } from './tls-fleet.js';
import { migrateEtcdTls } from './tls-migrate-run.js';
import { etcdTlsStatus } from './tls-status.js';
import { renderEtcdTlsMigration, renderEtcdTlsStatus } from './tls-text.js';

/**
 * The etcd TLS migration's operations as the CLI (and any caller) runs them:
 * each takes the site settings (with their file, named in messages) and
 * returns its outcome.
 */

/** status: exit 1 when an etcd endpoint does not answer over https with the settings' files. */
export async function showEtcdTlsStatus(loaded: LoadedSettings): Promise<OperationOutcome> {
  const status = await etcdTlsStatus(await etcdTlsFleetFromSettings(loaded.settings, { source: loaded.source }));
  return {
    data: status,
    text: () => renderEtcdTlsStatus(status),
    exitCode: status.endpoints.every((endpoint) => endpoint.ok) ? ExitCode.ok : ExitCode.findings,
  };
}

/** migrate (or its dry run): exit 1 when a dry run finds a gate failing. */
export async function migrateEtcdTlsFromSettings(
  loaded: LoadedSettings,
  options: {
    dryRun?: boolean | undefined;
    skipGates?: boolean | undefined;
    memberTimeoutMs: number;
    progress: OperationProgress;
  },
): Promise<OperationOutcome> {
  const { progress } = options;
  const report = await migrateEtcdTls(await etcdTlsFleetFromSettings(loaded.settings, { source: loaded.source }), {
    dryRun: options.dryRun,
    skipGates: options.skipGates,
    memberTimeoutMs: options.memberTimeoutMs,
    onProgress: (message) => progress.step(message),
  });
  for (const warning of report.warnings) progress.warn(`${warning.message}\n  hint: ${warning.hint}`);
  return {
    data: report,
    text: () => renderEtcdTlsMigration(report),
    exitCode: report.outcome === 'planned' && report.gateFailures.length > 0 ? ExitCode.findings : ExitCode.ok,
  };
}
