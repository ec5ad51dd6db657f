import { PgfleetError } from '../core/errors.js';
import type { PreflightReport } from '../core/instance/dcs-preflight.js';
import { type PreflightTarget, runDcsPreflight } from './dcs-preflight-probe.js';

export const SKIPPED_PREFLIGHT_WARNING =
  'PRE-FLIGHT SKIPPED (--skip-preflight): the etcd credentials of this instance were NOT checked. If they are wrong, Patroni cannot write to the DCS and the member fails or demotes — the outage pgfleet exists to prevent.';

/**
 * The DCS pre-flight as a gate: runs it (or says loudly that it was
 * skipped), reports warnings, and stops with every failed check and what to
 * fix. `nothingDone` tells the user what the refusal left untouched.
 */
export async function preflightGate(
  target: PreflightTarget,
  options: {
    skip: boolean;
    nothingDone: string;
    onStep: (message: string) => void;
    onWarning: (message: string) => void;
  },
): Promise<PreflightReport | null> {
  if (options.skip) {
    options.onWarning(SKIPPED_PREFLIGHT_WARNING);
    return null;
  }
  options.onStep(
    `pre-flight: etcd credentials of ${target.credentials?.username ?? '(none)'} on ${target.namespace}${target.scope}/`,
  );
  const report = await runDcsPreflight(target);
  for (const check of report.checks) {
    if (check.status === 'warn')
      options.onWarning(`pre-flight: ${check.message}${check.hint ? ` (${check.hint})` : ''}`);
    if (check.status === 'pass') options.onStep(`  pre-flight: ${check.message}`);
  }
  if (!report.ok) {
    const failed = report.checks.filter((check) => check.status === 'fail');
    throw new PgfleetError(
      'PREFLIGHT_FAILED',
      `pre-flight failed (etcd auth ${report.authEnabled ? 'on' : 'off'}): ${failed.map((check) => check.message).join('; ')}`,
      {
        hint: `${[...new Set(failed.map((check) => check.hint).filter((hint): hint is string => Boolean(hint)))].join('; ') || 'fix the etcd credentials'}; ${options.nothingDone}`,
        details: { checks: report.checks },
      },
    );
  }
  return report;
}
