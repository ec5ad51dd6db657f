import { readFile } from 'node:fs/promises';
import { ExitCode, PgfleetError } from '../core/errors.js';
import { withSecretValues } from '../core/patroni-config/config-secrets.js';
import type { RestApiProtection } from '../core/restapi/probe-matrix.js';
import { restAccessFromPatroniConfig, type RestClientAccess } from '../core/restapi/rest-client-access.js';
import { type SecureStep, SECURE_PHASE_DESCRIPTIONS } from '../core/restapi/secure-plan.js';
import { writeFileAtomic } from '../adapters/fs/atomic-file.js';
import { writePatroniConfigFile } from '../adapters/patroni/config-file.js';
import { restClientWithAccess } from '../fleet/member-rest-client.js';
import { type LocalInstance, readLocalInstance } from '../node/local-instances.js';
import { type MemberBaseline, memberBaseline, verifyMemberAfterReload } from './member-verification.js';
import { reloadMember } from './member-reload.js';
import type { PreparedSecurePlan } from './secure-inputs.js';

export interface SecureApplyOptions {
  onProgress?: ((message: string) => void) | undefined;
  /** Budget per step for the reload to take effect; default from the cluster's loop_wait. */
  stepTimeoutMs?: number | undefined;
  /** Test hook, after a member's new YAML is written and before it is reloaded (to break something on purpose). */
  afterWrite?: ((step: SecureStep) => Promise<void>) | undefined;
  /** Stop between steps (Ctrl-C): the step under way is finished, verified or restored, never left half-done. */
  signal?: AbortSignal | undefined;
}

export interface AppliedStep {
  number: number;
  phase: SecureStep['phase'];
  member: string;
  changes: string[];
  protection: RestApiProtection;
  /** Peers checked in both directions after the step. */
  peersChecked: string[];
  elapsedMs: number;
}

export interface SecureApplyReport {
  outcome: 'applied' | 'nothing-to-do';
  applied: AppliedStep[];
}

/**
 * Carries out a plan step by step: rewrite the member's YAML (atomic, 0600,
 * validated, same owner), POST /reload through the access that works before
 * the change, verify the member with the access of its new YAML. At the first
 * failure the member gets its previous file back and is reloaded (REST, else
 * SIGHUP), checked again with its old access, and apply stops: the steps
 * already done stay (each left the fleet working), the rest is not started.
 */
export async function applyRestApiSecuring(
  prepared: PreparedSecurePlan,
  options: SecureApplyOptions = {},
): Promise<SecureApplyReport> {
  const progress = options.onProgress ?? (() => undefined);
  const applied: AppliedStep[] = [];
  if (prepared.plan.steps.length === 0) return { outcome: 'nothing-to-do', applied };
  const total = prepared.plan.steps.length;
  for (const step of prepared.plan.steps) {
    if (options.signal?.aborted) {
      throw new PgfleetError(
        'REST_SECURE_INTERRUPTED',
        `interrupted after ${applied.length} of ${total} steps; every member is as its YAML says`,
        {
          hint: 'run pgfleet restapi secure plan to see what is left, and apply again to go on',
          exitCode: ExitCode.interrupted,
          details: { applied: applied.map((done) => done.number) },
        },
      );
    }
    const started = Date.now();
    const member = `${step.scope}/${step.node}`;
    progress(
      `[${step.number}/${total}] ${member}: ${step.phase} (${SECURE_PHASE_DESCRIPTIONS[step.phase]}): ${step.changes.join(', ')}`,
    );
    const previousText = await readFile(step.configFile, 'utf8');
    const previous = await readLocalInstance(step.configFile);
    const before = restAccessFromPatroniConfig(previous.config);
    const baseline = await memberBaseline(before, step.scope, step.node);
    const timeoutMs = options.stepTimeoutMs ?? (await stepBudget(before));

    await writeStepConfig(previous, step, prepared);
    let cause: string[];
    try {
      await options.afterWrite?.(step);
      await reloadMember(step.configFile, [before], { allowSignal: false });
      const next = await readLocalInstance(step.configFile);
      const access = restAccessFromPatroniConfig(next.config);
      const verification = await verifyMemberAfterReload({
        access,
        protection: step.after,
        baseline,
        localPeers: await localPeers(prepared, step),
        timeoutMs,
      });
      if (verification.problems.length === 0) {
        applied.push({
          number: step.number,
          phase: step.phase,
          member,
          changes: step.changes,
          protection: step.after,
          peersChecked: verification.peersChecked,
          elapsedMs: Date.now() - started,
        });
        progress(
          `    verified: ${describeVerified(step.after, verification.peersChecked)} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
        );
        continue;
      }
      cause = verification.problems;
    } catch (error) {
      cause = [error instanceof Error ? error.message : String(error)];
    }
    progress(`    step ${step.number} failed: ${cause[0]}; restoring ${step.configFile}`);
    await restoreMember(step, previousText, previous, baseline, timeoutMs, progress, applied, cause);
  }
  return { outcome: 'applied', applied };
}

/** The member's current YAML with the step's restapi and ctl sections, written through the config writer. */
async function writeStepConfig(previous: LocalInstance, step: SecureStep, prepared: PreparedSecurePlan): Promise<void> {
  const config: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(withSecretValues(previous.config))) {
    if (key === 'restapi') config.restapi = step.restapi;
    else if (key === 'ctl') {
      if (step.ctl) config.ctl = step.ctl;
    } else config[key] = value;
  }
  if (!('restapi' in config)) config.restapi = step.restapi;
  // A new ctl section goes right after restapi, where a generated file has it.
  const ordered = step.ctl && !('ctl' in config) ? insertAfter(config, 'restapi', 'ctl', step.ctl) : config;
  await writePatroniConfigFile(step.configFile, ordered, {
    owner: previous.owner,
    validation: { execpath: prepared.patroni.execpath, enforce: prepared.patroni.enforce_config_validation },
  });
}

function insertAfter(
  config: Record<string, unknown>,
  after: string,
  key: string,
  value: unknown,
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [name, item] of Object.entries(config)) {
    result[name] = item;
    if (name === after) result[key] = value;
  }
  return result;
}

async function restoreMember(
  step: SecureStep,
  previousText: string,
  previous: LocalInstance,
  baseline: MemberBaseline,
  timeoutMs: number,
  progress: (message: string) => void,
  applied: AppliedStep[],
  cause: string[],
): Promise<never> {
  const member = `${step.scope}/${step.node}`;
  const failedAccess = restAccessFromPatroniConfig((await readLocalInstance(step.configFile)).config);
  const previousAccess = restAccessFromPatroniConfig(previous.config);
  await writeFileAtomic(step.configFile, previousText, { mode: 0o600, dirMode: 0o750, owner: previous.owner });
  const details = {
    step: step.number,
    phase: step.phase,
    member,
    configFile: step.configFile,
    cause,
    applied: applied.map((done) => done.number),
  };
  try {
    // The member may serve either protection now (or none): whichever access it accepts, else a signal.
    const reload = await reloadMember(step.configFile, uniqueAccesses([failedAccess, previousAccess]), {
      allowSignal: true,
    });
    const check = await verifyMemberAfterReload({
      access: previousAccess,
      protection: step.before,
      baseline,
      localPeers: [],
      timeoutMs,
    });
    if (check.problems.length > 0) throw new Error(check.problems.join('; '));
    progress(
      `    ${member} restored (reloaded through ${reload.channel === 'rest' ? `POST /reload at ${reload.via}` : 'SIGHUP'}) and verified with its previous protection`,
    );
  } catch (error) {
    throw new PgfleetError(
      'REST_SECURE_RESTORE_FAILED',
      `step ${step.number} (${step.phase}) failed on ${member}: ${cause[0]}; its previous YAML is back in ${step.configFile} but the member did not come back as before: ${error instanceof Error ? error.message : String(error)}`,
      {
        hint: `check ${member} now (pgfleet restapi status); if its REST API does not answer, restart its Patroni (Patroni 3.0.2 cannot rebuild its REST socket after a failed TLS load); steps ${applied.map((done) => done.number).join(', ') || 'none'} stay applied`,
        exitCode: ExitCode.failed,
        details,
      },
    );
  }
  throw new PgfleetError(
    'REST_SECURE_STEP_FAILED',
    `step ${step.number} (${step.phase}) failed on ${member}: ${cause.join('; ')}`,
    {
      hint: `${member} has its previous YAML back and works as before; steps ${applied.map((done) => done.number).join(', ') || 'none'} stay applied and the fleet works. Fix the cause, then run pgfleet restapi secure plan again: it starts from where the fleet is`,
      exitCode: ExitCode.rolledBack,
      details,
    },
  );
}

function uniqueAccesses(accesses: RestClientAccess[]): RestClientAccess[] {
  const seen = new Set<string>();
  return accesses.filter((access) => {
    const key = JSON.stringify({ ...access, password: access.password?.reveal() });
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The other members of the step's cluster on this host, each with the access of its current YAML. */
async function localPeers(
  prepared: PreparedSecurePlan,
  step: SecureStep,
): Promise<Array<{ node: string; access: RestClientAccess }>> {
  const peers: Array<{ node: string; access: RestClientAccess }> = [];
  for (const instance of prepared.instances) {
    if (instance.scope !== step.scope || instance.node === step.node) continue;
    const current = await readLocalInstance(instance.configFile);
    peers.push({ node: instance.node, access: restAccessFromPatroniConfig(current.config) });
  }
  return peers;
}

/** Three HA loops plus slack: a reload is handled at the top of a loop, the new api_url is published in the next. */
async function stepBudget(access: RestClientAccess): Promise<number> {
  const client = restClientWithAccess(access);
  try {
    const config = await client.dynamicConfig();
    const loopWait = typeof config.loop_wait === 'number' ? config.loop_wait : 10;
    return (4 * loopWait + 20) * 1000;
  } catch {
    return 60_000;
  } finally {
    await client.close();
  }
}

function describeVerified(protection: RestApiProtection, peers: string[]): string {
  const parts = [
    `${protection.tls ? 'https' : 'http'}${protection.tls ? `, verify_client ${protection.verifyClient}` : ''}${protection.basicAuth ? ', basic auth' : ''}`,
    'probe matrix as expected',
  ];
  if (peers.length > 0) parts.push(`talks to ${peers.join(', ')} both ways`);
  return parts.join('; ');
}
