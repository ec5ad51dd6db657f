import { PgfleetError } from '../core/errors.js';
import { type EnforceReport, enforceEtcdAuth, etcdAuthStatus } from '../migration/etcd-auth/index.js';
import { type FleetConnection, etcdAuthEnabled, withAdminClient } from '../fleet/fleet-connection.js';
import { tenancyTargetFromSettings, verifyTenancy } from '../tenancy/index.js';
import type { DemoNarrator } from './demo-narrator.js';
import type { WriterTally } from './fleet-writers.js';
import { labStateSettings } from './lab-settings.js';
import type { LabState } from './lab-state.js';
import type { ReplicationCheck } from './replication-check.js';
import type { RoleWatchReport } from './role-watch.js';

/**
 * The steps the lab demos share, one-host or across hosts: each runs a step
 * of the guarded migration from where the story's operator stands (`where`
 * is appended to the command shown: `   # on coordinator`), tells it, and
 * returns what the summary needs.
 */
export interface DemoStage {
  say: DemoNarrator;
  connection: FleetConnection;
  where: string;
}

/** One tenant's live isolation proof, as the demo tells it. */
export interface DemoIsolationProbe {
  user: string;
  ok: boolean;
  detail: string;
}

/** enforce while some members have no credentials: refused at the gates, nothing changed. The members named. */
export async function tellGateRefusal(stage: DemoStage, title: string): Promise<string[]> {
  const { say, connection } = stage;
  say.step(title);
  say.command(`pgfleet etcd auth enforce${stage.where}`);
  const refusal = await expectFailure(
    () => enforceEtcdAuth(connection),
    'ENFORCE_GATES_REFUSED',
    'enforce should have been refused at the gates',
  );
  const failures = refusal.details?.gateFailures as Array<{ subject: string; message: string }>;
  for (const failure of failures) say.say(`refused: ${failure.message}`);
  say.say(`auth is still ${(await etcdAuthEnabled(connection)) ? 'ON (unexpected)' : 'off'}`);
  return failures.map((failure) => failure.subject);
}

/** enforce --skip-gates: the probe catches the members without credentials, auth goes off again by itself. */
export async function tellDrill(
  stage: DemoStage,
  title: string,
): Promise<{ caught: string[]; exposureWindowMs: number }> {
  const { say, connection } = stage;
  say.step(title);
  say.command(`pgfleet etcd auth enforce --skip-gates${stage.where}`);
  say.say('every cluster is paused first, so no member demotes while the DCS refuses it');
  const rolledBack = await expectFailure(
    () => enforceEtcdAuth(connection, { skipGates: true, onProgress: (m) => say.say(`… ${m}`) }),
    'ENFORCE_ROLLED_BACK',
    'the drill should have rolled back',
  );
  const report = rolledBack.details?.report as EnforceReport;
  const caught = report.state.probes
    .filter((probe) => !probe.ok && !probe.detail.startsWith('not probed'))
    .map((probe) => probe.member);
  for (const failure of report.state.failures.filter(
    (f) => !f.startsWith('after rollback') && !f.includes('readiness record'),
  ))
    say.say(`caught: ${failure}`);
  say.say(
    `auth was switched off again automatically: it was on for ${report.state.exposureWindowMs} ms; clusters resumed`,
  );
  say.say('(GET /cluster and dcs_last_seen would have shown that member healthy: only a DCS write tells)');
  return { caught, exposureWindowMs: report.state.exposureWindowMs ?? Number.NaN };
}

/** enforce with every member ready: gates, pause, auth enable, probes, resume. */
export async function tellEnforce(
  stage: DemoStage,
  title: string,
): Promise<{ members: number; tenants: number; durationMs: number }> {
  const { say, connection } = stage;
  say.step(title);
  say.command(`pgfleet etcd auth enforce${stage.where}`);
  const started = Date.now();
  const report = await enforceEtcdAuth(connection, { onProgress: (m) => say.say(`… ${m}`) });
  const durationMs = Date.now() - started;
  say.say(
    `enforced in ${(durationMs / 1000).toFixed(1)} s: ${report.state.probes.filter((p) => p.ok).length}/${report.state.probes.length} members wrote to the DCS with their own tenant`,
  );
  return { members: report.state.probes.length, tenants: report.tenantProbes.length, durationMs };
}

/** `etcd tenants verify`: the static check over every role range, then each tenant live; a finding fails every probe. */
export async function tellTenantsVerify(stage: DemoStage, state: LabState): Promise<DemoIsolationProbe[]> {
  const { say } = stage;
  say.step(
    "Tenants verify: no role range reaches beyond its cluster, and each tenant reads and writes its own prefix and is denied every other tenant's and everything outside",
  );
  say.command(`pgfleet etcd tenants verify${stage.where}`);
  const verified = await verifyLabTenants(state);
  say.say(
    `static check over every role range: ${verified.findings === 0 ? 'no finding' : `${verified.findings} finding(s)`}`,
  );
  for (const probe of verified.probes) say.say(`${probe.user}: ${probe.ok ? probe.detail : `FAILED: ${probe.detail}`}`);
  return verified.findings === 0 ? verified.probes : verified.probes.map((probe) => ({ ...probe, ok: false }));
}

/** What the applications saw and where the migration stands (`etcd auth status`). */
export async function tellOutcome(
  stage: DemoStage,
  observed: { tallies: WriterTally[]; roles: RoleWatchReport; leadersKept: boolean },
): Promise<Awaited<ReturnType<typeof etcdAuthStatus>>> {
  const { say } = stage;
  say.step('What the applications saw, and where the fleet stands');
  for (const tally of observed.tallies) say.say(`${tally.scope}: ${tally.ok} writes, ${tally.failed} failed`);
  say.say(
    `${observed.roles.samples} role samples: ${observed.roles.demotions.length} demotions, ${observed.roles.leaderChanges.length} leader changes; leaders and timelines ${observed.leadersKept ? 'unchanged' : 'CHANGED'}`,
  );
  say.command(`pgfleet etcd auth status${stage.where}`);
  const status = await etcdAuthStatus(stage.connection);
  say.say(
    `etcd ${status.etcdVersion}: auth ${status.authEnabled ? 'ON' : 'off'}, ${status.tokenType} tokens; migration ${status.standing.stage}`,
  );
  return status;
}

/** What a demo's story found, one-host or across hosts: what its summary says. */
export interface DemoFigures {
  /** Per cluster: a row written on its primary and read back from its replica, before anything is changed. */
  replication: ReplicationCheck[];
  /** What was left out of the first apply: a cluster (one host), or a host. */
  leftOut: string;
  /** Members the gates named as not ready. */
  gateRefused: string[];
  /** The drill: the members the probe caught, and how long auth was on. */
  drill: { caught: string[]; exposureWindowMs: number };
  enforced: { members: number; tenants: number; durationMs: number };
  isolation: DemoIsolationProbe[];
  writers: WriterTally[];
  roles: RoleWatchReport;
  leadersKept: boolean;
}

/** What a demo ends with: the same lines one-host or across hosts (`lab` says which), and whether it ended as it should. */
export function demoSummary(input: DemoFigures & { lab: string }): { lines: string[]; asExpected: boolean } {
  const failedWrites = input.writers.reduce((sum, tally) => sum + tally.failed, 0);
  const isolated = input.isolation.length > 0 && input.isolation.every((probe) => probe.ok);
  return {
    lines: [
      input.lab,
      `a write on each primary read back from its replica: ${input.replication.map((check) => `${check.scope} (${check.primary} → ${check.replica}, ${check.visibleAfterMs} ms)`).join(', ')}`,
      `gate refused enforce while ${input.leftOut} was not applied (named: ${input.gateRefused.join(', ')})`,
      `drill: the probe caught ${input.drill.caught.join(', ')}; auth switched off again after ${input.drill.exposureWindowMs} ms`,
      `enforce: auth on, ${input.enforced.members} members and ${input.enforced.tenants} tenants probed, in ${(input.enforced.durationMs / 1000).toFixed(1)} s`,
      `tenants ${isolated ? 'isolated' : 'NOT ISOLATED'} (${input.isolation.filter((probe) => probe.ok).length}/${input.isolation.length})`,
      `applications: ${input.writers.reduce((sum, tally) => sum + tally.ok, 0)} writes, ${failedWrites} failed; ${input.roles.demotions.length} demotions, ${input.roles.leaderChanges.length} leader changes`,
    ],
    asExpected: failedWrites === 0 && input.roles.demotions.length === 0 && input.leadersKept && isolated,
  };
}

/**
 * `pgfleet etcd tenants verify` on the lab: the static check over every role
 * range, then each tenant with its own credentials (own prefix read/write,
 * every other tenant's prefix and a key outside them all denied).
 */
export async function verifyLabTenants(state: LabState): Promise<{ findings: number; probes: DemoIsolationProbe[] }> {
  const target = await tenancyTargetFromSettings(labStateSettings(state), {}, {});
  const report = await withAdminClient(target.access, (admin) => verifyTenancy(target, admin));
  const probes = (report.live ?? []).map((probe) => ({
    user: probe.user,
    ok: probe.ok,
    detail: probe.ok
      ? `own prefix read/write; denied in ${probe.deniedIn.length} other tenant prefix(es) and outside`
      : [
          probe.ownPrefix.ok ? '' : probe.ownPrefix.detail,
          ...probe.breaches.map((breach) => `could ${breach.op} ${breach.key}`),
          ...probe.errors,
        ]
          .filter(Boolean)
          .join('; '),
  }));
  return { findings: report.findings.length, probes };
}

/** Runs a step that must fail with `code`; the demo stops if it does not. */
export async function expectFailure(
  step: () => Promise<unknown>,
  code: string,
  expectation: string,
): Promise<PgfleetError> {
  try {
    await step();
  } catch (error) {
    if (error instanceof PgfleetError && error.code === code) return error;
    throw error;
  }
  throw new PgfleetError('DEMO_UNEXPECTED', `${expectation}, but it succeeded`, { exitCode: 4 });
}
