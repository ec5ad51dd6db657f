import type { OperationOutcome, OperationProgress } from '../core/operation-outcome.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import { localMembers } from '../restapi/index.js';
import { switchoverCluster } from './cluster-switchover.js';

/**
 * switchover as the CLI (and any caller) runs it: the members of this host
 * from the settings give the credentials; the outcome says who leads now.
 */
export async function switchoverClusterFromSettings(
  settings: SiteSettings,
  options: { scope: string; candidate?: string | undefined; timeoutMs: number; progress: OperationProgress },
): Promise<OperationOutcome> {
  const { scope, candidate } = options;
  const instances = await localMembers(settings);
  options.progress.step(`switching over ${scope}${candidate ? ` to ${candidate}` : ''}…`);
  const result = await switchoverCluster({ instances, scope, candidate, timeoutMs: options.timeoutMs });
  return {
    data: result,
    text: () =>
      `${result.scope}: leader ${result.from} → ${result.to} in ${(result.elapsedMs / 1000).toFixed(1)} s (${result.message})`,
  };
}
