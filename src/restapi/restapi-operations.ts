import { ExitCode, PgfleetError } from '../core/errors.js';
import type { Interruption, OperationOutcome, OperationProgress } from '../core/operation-outcome.js';
import { renderProbeReports } from '../core/restapi/probe-report.js';
import type { SecurePhase } from '../core/restapi/secure-plan.js';
import { renderSecurePlan, securePlanData } from '../core/restapi/secure-plan-report.js';
import type { SiteSettings } from '../core/settings/site-settings.js';
import type { LoadedSettings } from '../adapters/settings/site-settings-file.js';
import { localMembers, probeMembers, renderRestApiStatus, restApiStatus } from './restapi-status.js';
import { applyRestApiSecuring } from './secure-apply.js';
import { type PreparedSecurePlan, prepareRestApiSecuring } from './secure-inputs.js';

/**
 * The REST API of this host's members as the CLI (and any caller) works on
 * it: each operation takes the site settings and returns its outcome.
 */

/** status: exit 1 when a member does not answer. */
export async function showRestApiStatus(settings: SiteSettings): Promise<OperationOutcome> {
  const statuses = await restApiStatus(await localMembers(settings));
  return {
    data: statuses,
    text: () => renderRestApiStatus(statuses),
    exitCode: statuses.every((member) => member.reachable) ? ExitCode.ok : ExitCode.findings,
  };
}

/** probe: the matrix of each member (or of one); exit 1 when one differs from what its YAML asks for. */
export async function probeRestApi(
  settings: SiteSettings,
  options: { member?: string | undefined },
): Promise<OperationOutcome> {
  const members = (await localMembers(settings)).filter(
    (member) => options.member === undefined || member.node === options.member,
  );
  if (options.member !== undefined && members.length === 0) {
    throw new PgfleetError('REST_MEMBER_NOT_HERE', `no member named ${options.member} is managed on this host`, {
      hint: 'pgfleet restapi status lists them',
    });
  }
  const probes = await probeMembers(members);
  return {
    data: probes,
    text: () => renderProbeReports(probes),
    exitCode: probes.every((probe) => probe.report.mismatches.length === 0) ? ExitCode.ok : ExitCode.findings,
  };
}

/** What the operator may ask of `restapi secure`: other basic-auth credentials, and the last phase to go through. */
export interface SecureRequest {
  username?: string | undefined;
  /** 0600 file holding the basic-auth password; `{scope}` is replaced by the cluster name. */
  passwordFile?: string | undefined;
  through?: SecurePhase | undefined;
}

async function prepareSecuring(loaded: LoadedSettings, request: SecureRequest): Promise<PreparedSecurePlan> {
  if (request.username !== undefined && request.passwordFile === undefined) {
    throw new PgfleetError(
      'REST_SECURE_USERNAME_WITHOUT_PASSWORD_FILE',
      '--username is given without --password-file',
      { hint: 'give --password-file FILE (0600); passwords are never command-line arguments' },
    );
  }
  return prepareRestApiSecuring({
    settings: loaded.settings,
    settingsSource: loaded.source,
    authentication:
      request.passwordFile === undefined
        ? undefined
        : { username: request.username, passwordFile: request.passwordFile },
    through: request.through,
  });
}

/** secure plan: the ordered steps, every certificate checked first; exit 1 when there are steps to apply. */
export async function planRestApiSecuring(
  loaded: LoadedSettings,
  options: SecureRequest & { progress: OperationProgress },
): Promise<OperationOutcome> {
  const { plan } = await prepareSecuring(loaded, options);
  for (const warning of plan.warnings)
    options.progress.warn(`${warning.message} [${warning.code}]\n  hint: ${warning.hint}`);
  return {
    data: securePlanData(plan),
    text: () => renderSecurePlan(plan),
    exitCode: plan.steps.length === 0 ? ExitCode.ok : ExitCode.findings,
  };
}

/**
 * secure apply: the plan carried out step by step. The operator's
 * interruption stops it between steps: the member being changed is
 * finished or restored first.
 */
export async function applyRestApiSecuringFromSettings(
  loaded: LoadedSettings,
  options: SecureRequest & {
    stepTimeoutMs?: number | undefined;
    interruption?: Interruption | undefined;
    progress: OperationProgress;
  },
): Promise<OperationOutcome> {
  const { progress } = options;
  const prepared = await prepareSecuring(loaded, options);
  for (const warning of prepared.plan.warnings) progress.warn(`${warning.message} [${warning.code}]`);
  const interruption = options.interruption?.(() =>
    progress.warn('interrupted: finishing the current step, then stopping'),
  );
  const report = await applyRestApiSecuring(prepared, {
    onProgress: (message) => progress.step(message),
    stepTimeoutMs: options.stepTimeoutMs,
    signal: interruption?.signal,
  }).finally(() => interruption?.stop());
  return {
    data: report,
    text: () =>
      report.outcome === 'nothing-to-do'
        ? 'nothing to do: every member already has the protection the settings ask for'
        : `${report.applied.length} step${report.applied.length === 1 ? '' : 's'} applied and verified`,
  };
}
