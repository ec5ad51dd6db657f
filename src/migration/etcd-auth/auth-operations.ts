import { ExitCode, PgfleetError } from '../../core/errors.js';
import { pendingOnOtherHosts } from '../../core/migration/auth-plan.js';
import type { Confirmation, OperationOutcome, OperationProgress } from '../../core/operation-outcome.js';
import type { SiteSettings } from '../../core/settings/site-settings.js';
import { describeRecovery, interruptedRun, recoveryOf } from '../../core/migration/enforce-state.js';
import { etcdTlsFailure } from '../../core/migration/enforce-failure.js';
import type { EnforceStep, PhaseTiming } from '../../core/migration/phase-timings.js';
import { asGuardedRun } from '../../fleet/run-state-store.js';
import { type FleetConnection, fleetConnectionFromSettings, withAdminClient } from '../../fleet/fleet-connection.js';
import type { SettingsTenantDirectory } from '../../fleet/settings-tenant-directory.js';
import type { LocalInstance } from '../../node/local-instances.js';
import { type ApplyOutcome, applyCredentialsLocally } from './apply-credentials.js';
import { etcdAuthStatus } from './auth-status.js';
import { readEnforceState } from './enforce-state-store.js';
import { forgetMember } from './forget-member.js';
import { renderAuthPlan, renderAuthStatus, renderEnforceReport } from './auth-text.js';
import { enforceEtcdAuth, rollbackEtcdAuth } from './enforce-run.js';
import type { EnforceReport } from './enforce-report.js';
import { planEtcdAuthMigration } from './migration-plan.js';
import { prepareTenants } from './prepare-tenants.js';
import { checkFleetEtcdUpgrade } from './upgrade-check.js';

/**
 * The guarded auth migration's operations as the CLI (and any caller) runs
 * them: each takes the site settings and reports progress; each returns its
 * outcome. The sequence of `migrate` lives here, not in the command line.
 */
export type AuthFleet = FleetConnection & { tenants: SettingsTenantDirectory };

/**
 * The fleet from the settings, and `work` on it. etcd out of reach over
 * https is most often the settings' TLS files: such a failure names the file
 * at fault and what to set, instead of "check that etcd runs".
 */
async function onFleet<T>(settings: SiteSettings, work: (fleet: AuthFleet) => Promise<T>): Promise<T> {
  const fleet: AuthFleet = await fleetConnectionFromSettings(settings);
  try {
    return await work(fleet);
  } catch (error) {
    if (!(error instanceof PgfleetError) || error.code !== 'ETCD_UNREACHABLE') throw error;
    const tls = etcdTlsFailure(
      error.message,
      fleet.tls ?? {},
      fleet.endpoints.some((endpoint) => endpoint.startsWith('https://')),
    );
    if (!tls) throw error;
    throw new PgfleetError('ETCD_TLS_REFUSED', `${tls.message} (${error.message})`, {
      hint: tls.hint,
      exitCode: error.exitCode,
      cause: error,
    });
  }
}

export async function showEtcdAuthStatus(settings: SiteSettings): Promise<OperationOutcome> {
  return onFleet(settings, async (fleet) => {
    const status = await etcdAuthStatus(fleet);
    return { data: status, text: () => renderAuthStatus(status) };
  });
}

/** forget: the readiness record of a member that left its cluster for good (the gates expect every recorded member). */
export async function forgetEtcdAuthMember(settings: SiteSettings, member: string): Promise<OperationOutcome> {
  return onFleet(settings, async (fleet) => {
    const result = await withAdminClient(fleet, (admin) => forgetMember(fleet, admin, member));
    return {
      data: result,
      text: () =>
        `${result.member}: readiness record (applied on ${result.forgotten.host} at ${result.forgotten.appliedAt}) removed; enforce no longer expects it`,
    };
  });
}

export async function showEtcdAuthPlan(settings: SiteSettings): Promise<OperationOutcome> {
  return onFleet(settings, async (fleet) => {
    const plan = await planEtcdAuthMigration(fleet);
    return { data: plan, text: () => renderAuthPlan(plan), exitCode: plan.blocked ? ExitCode.findings : ExitCode.ok };
  });
}

/** prepare: root, then one user and role per cluster found in the DCS; the changes made, one line each. */
export async function prepareFleetTenants(fleet: AuthFleet): Promise<string[]> {
  return withAdminClient(fleet, (admin) =>
    prepareTenants({ admin, adminCredentials: fleet.admin, namespaces: fleet.namespaces, tenants: fleet.tenants }),
  );
}

export async function prepareEtcdAuth(settings: SiteSettings): Promise<OperationOutcome> {
  const actions = await onFleet(settings, prepareFleetTenants);
  return {
    data: { actions },
    text: () =>
      actions.length ? actions.map((a) => `  ${a}`).join('\n') : 'nothing to do: every cluster has its tenant',
  };
}

/** apply on this host: each local member's tenant credentials into its YAML, reload, readiness recorded. */
export async function applyFleetCredentials(
  fleet: AuthFleet,
  options: {
    instances?: LocalInstance[] | undefined;
    onProgress?: ((message: string) => void) | undefined;
    onNotice?: ((message: string) => void) | undefined;
  } = {},
): Promise<ApplyOutcome[]> {
  return withAdminClient(fleet, (admin) =>
    applyCredentialsLocally({
      instances: options.instances ?? fleet.localInstances,
      tenants: fleet.tenants,
      recordStore: admin,
      onProgress: options.onProgress,
      onNotice: options.onNotice,
    }),
  );
}

export async function applyEtcdAuth(
  settings: SiteSettings,
  options: { hostOnly?: boolean | undefined; progress: OperationProgress },
): Promise<OperationOutcome> {
  return onFleet(settings, (fleet) => applyOn(fleet, options));
}

async function applyOn(
  fleet: AuthFleet,
  options: { hostOnly?: boolean | undefined; progress: OperationProgress },
): Promise<OperationOutcome> {
  const outcomes = await applyFleetCredentials(fleet, { onProgress: (m) => options.progress.step(m) });
  const problems = fleet.localProblems ?? [];
  const exitCode =
    outcomes.some((o) => o.status !== 'applied') || problems.length > 0 ? ExitCode.findings : ExitCode.ok;
  const applied = [
    ...(outcomes.length > 0 ? outcomes.map(renderApplyOutcome) : ['no local member of this fleet']),
    ...problems.map((p) => `  ${p.configFile}: not applied: ${p.problem}\n    → ${p.hint}`),
    ...leftAloneNote(fleet),
  ].join('\n');
  if (options.hostOnly) return { data: { outcomes, localProblems: problems }, text: () => applied, exitCode };
  // The coordinator's view: which members elsewhere still lack their readiness record.
  // The members of this host are applied by now: a fleet that cannot be read is a warning, not a failure of apply.
  const pendingElsewhere = await planEtcdAuthMigration(fleet, { census: false }).then(
    pendingOnOtherHosts,
    (error: unknown) => {
      options.progress.warn(
        `could not read the rest of the fleet: ${error instanceof Error ? error.message : String(error)} (\`pgfleet etcd auth plan\` shows it)`,
      );
      return [];
    },
  );
  return {
    data: { outcomes, localProblems: problems, pendingElsewhere },
    text: () =>
      [
        applied,
        ...(pendingElsewhere.length > 0
          ? [
              `${pendingElsewhere.length} member(s) on other hosts are not ready yet:`,
              ...pendingElsewhere.map((p) => `  ${p.subject}: ${p.message}\n    → ${p.hint}`),
            ]
          : []),
      ].join('\n'),
    exitCode,
  };
}

function renderApplyOutcome(outcome: ApplyOutcome): string {
  return `  ${outcome.scope}/${outcome.member}: ${outcome.status} (${outcome.detail})${outcome.hint ? `\n    → ${outcome.hint}` : ''}`;
}

/** One line about the Patroni files and processes of this host that belong to another fleet, when there are any. */
function leftAloneNote(fleet: AuthFleet): string[] {
  const leftAlone = fleet.leftAlone ?? [];
  if (leftAlone.length === 0) return [];
  const shown = leftAlone.slice(0, 3).map((file) => `${file.configFile} (${file.reason})`);
  return [
    `left alone on this host (not this fleet's): ${shown.join('; ')}${leftAlone.length > 3 ? `; and ${leftAlone.length - 3} more` : ''}`,
  ];
}

function enforceOutcome(report: EnforceReport): OperationOutcome {
  return {
    data: report,
    text: () => `${renderEnforceReport(report)}${report.reportFiles ? `\nreport: ${report.reportFiles.text}` : ''}`,
  };
}

export async function enforceEtcdAuthFromSettings(
  settings: SiteSettings,
  options: { skipGates?: boolean | undefined; progress: OperationProgress },
): Promise<OperationOutcome> {
  return onFleet(settings, async (fleet) =>
    enforceOutcome(
      await enforceEtcdAuth(fleet, { skipGates: options.skipGates, onProgress: (m) => options.progress.step(m) }),
    ),
  );
}

/**
 * migrate: plan (refused when blocked), the operator's confirmation, prepare,
 * apply on this host, enforce — all under one run lock, so no other
 * coordinator acts in between. A fleet left with an interrupted enforce run
 * is finished: the plan says so, the run is rolled back (auth off, clusters
 * resumed) after the confirmation, and the migration runs again. A fleet a
 * completed run already enforced is a no-op.
 */
export async function migrateEtcdAuth(
  settings: SiteSettings,
  options: { confirm: Confirmation; skipGates?: boolean | undefined; progress: OperationProgress },
): Promise<OperationOutcome> {
  const { progress } = options;
  return onFleet(settings, (fleet) => migrateOn(fleet, options, progress));
}

async function migrateOn(
  fleet: AuthFleet,
  options: { confirm: Confirmation; skipGates?: boolean | undefined },
  progress: OperationProgress,
): Promise<OperationOutcome> {
  return withAdminClient(fleet, (admin) =>
    asGuardedRun(
      admin,
      'etcd-auth-migrate',
      undefined,
      async (lock) => {
        // Each step's wall-clock time opens enforce's report, so one report times the whole migration.
        const timings: PhaseTiming[] = [];
        let stepStarted = Date.now();
        const stepDone = (step: EnforceStep): void => {
          timings.push({ step, ms: Date.now() - stepStarted });
          stepStarted = Date.now();
        };
        let plan = await planEtcdAuthMigration(fleet);
        const recorded = await readEnforceState(admin).catch(() => undefined);
        const unfinished = interruptedRun(recorded);
        if (plan.authEnabled && !unfinished) {
          if (recorded?.phase === 'enforced') {
            return {
              data: { outcome: 'already-enforced', run: recorded.id, plan },
              text: () => `nothing to do: etcd auth is on, enforced by run ${recorded.id} (${recorded.updatedAt})`,
              exitCode: ExitCode.ok,
            };
          }
          throw new PgfleetError(
            'AUTH_ALREADY_ENABLED',
            'etcd authentication is already on, and no pgfleet run enforced it: nothing to migrate',
            { hint: '`pgfleet etcd auth status` shows the fleet; `pgfleet etcd auth rollback` switches it off' },
          );
        }
        if (unfinished) {
          // Holding the lock, the recorded run is truly interrupted: its coordinator's lease expired.
          const recovery = recoveryOf(unfinished, plan.authEnabled);
          progress.step(
            `${describeRecovery(unfinished, recovery)}${recovery.kind === 'roll-back' ? '; then prepare, apply and enforce run again' : ''}`,
          );
          const question =
            recovery.kind === 'carry-forward'
              ? 'carry the interrupted run forward (resume its clusters, record it enforced)?'
              : 'roll back the interrupted run, then prepare, apply and enforce?';
          if (!(await options.confirm(question))) return declined(plan);
          if (recovery.kind === 'carry-forward')
            return enforceOutcome(await enforceEtcdAuth(fleet, { onProgress: (m) => progress.step(m), lock }));
          await rollbackEtcdAuth(fleet, (m) => progress.step(m), lock);
          plan = await planEtcdAuthMigration(fleet);
        }
        progress.step(renderAuthPlan(plan));
        if (plan.blocked) {
          throw new PgfleetError('MIGRATE_PLAN_BLOCKED', 'the plan is blocked (see above): nothing was changed', {
            hint: 'fix each blocker, or run prepare and apply step by step; `pgfleet etcd auth plan` shows it again',
            exitCode: ExitCode.findings,
          });
        }
        if (
          !unfinished &&
          !(await options.confirm('prepare tenants, apply credentials on this host, then enforce auth on etcd?'))
        )
          return declined(plan);
        stepDone('plan');
        progress.step('prepare: tenants');
        await lock.update({ phase: 'prepare' });
        for (const action of await prepareFleetTenants(fleet)) progress.detail(`  ${action}`);
        stepDone('prepare');
        progress.step('apply: credentials on this host');
        await lock.update({ phase: 'apply' });
        const applied = await applyFleetCredentials(fleet, {
          onProgress: (m) => progress.detail(`  ${m}`),
          onNotice: (m) => progress.step(`  ${m}`),
        });
        const failed = applied.filter((outcome) => outcome.status !== 'applied');
        if (failed.length > 0) {
          throw new PgfleetError(
            'MIGRATE_APPLY_FAILED',
            `apply failed for ${failed.map((o) => `${o.scope}/${o.member} (${o.status}: ${o.detail})`).join(', ')}: auth was not enabled`,
            {
              hint: `${[...new Set(failed.flatMap((o) => (o.hint ? [`${o.scope}/${o.member}: ${o.hint}`] : [])))].join('; ')}${failed.some((o) => o.hint) ? '; then' : 'fix those members, then'} \`pgfleet etcd auth migrate\` again`,
              exitCode: ExitCode.failed,
              details: { outcomes: applied },
            },
          );
        }
        stepDone('apply');
        return enforceOutcome(
          await enforceEtcdAuth(fleet, {
            skipGates: options.skipGates,
            onProgress: (m) => progress.step(m),
            lock,
            timingsBefore: timings,
          }),
        );
      },
      { phase: 'planning' },
    ),
  );
}

function declined(plan: unknown): OperationOutcome {
  return { data: { outcome: 'declined', plan }, text: () => 'nothing was changed', exitCode: ExitCode.findings };
}

export async function rollbackEtcdAuthFromSettings(
  settings: SiteSettings,
  options: { progress: OperationProgress },
): Promise<OperationOutcome> {
  const result = await onFleet(settings, (fleet) => rollbackEtcdAuth(fleet, (m) => options.progress.step(m)));
  return { data: result, text: () => (result.steps.length ? result.steps.join('\n') : 'nothing to roll back') };
}

export async function checkEtcdUpgradeFromSettings(
  settings: SiteSettings,
  targetEtcdVersion: string,
): Promise<OperationOutcome> {
  return onFleet(settings, (fleet) => checkFleetEtcdUpgrade(fleet, targetEtcdVersion));
}
