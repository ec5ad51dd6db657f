import type { EnforceFailureKind } from './enforce-failure.js';
import type { PhaseTiming } from './phase-timings.js';
import type { RunEnvelope } from './run-envelope.js';

/**
 * The state of an `etcd auth enforce` run, kept in etcd (AUTH_MIGRATION_KEY)
 * so that an interrupted run can be inspected and finished or rolled back
 * from any host. Phases move forward only; `rolling-back` can follow any
 * phase after `pausing`.
 */
export type EnforcePhase =
  'gates' | 'pausing' | 'enabling' | 'probing' | 'resuming' | 'rolling-back' | 'enforced' | 'rolled-back';

export interface MemberProbeResult {
  member: string;
  ok: boolean;
  detail: string;
  /** Why it failed, when known (its log, its YAML, the tenant probes): what the hint names. */
  cause?: EnforceFailureKind | undefined;
}

export interface EnforceState extends RunEnvelope<EnforcePhase> {
  enabledAt?: string | undefined;
  disabledAt?: string | undefined;
  /** Milliseconds between auth enable and auth disable, when rolled back. */
  exposureWindowMs?: number | undefined;
  probes: MemberProbeResult[];
  /** etcd endpoints that did not answer during the run. */
  endpointsDown: string[];
  /** Wall-clock time of each step of the run, in the order they ran. */
  timings?: PhaseTiming[] | undefined;
}

const ORDER: EnforcePhase[] = ['gates', 'pausing', 'enabling', 'probing', 'resuming', 'enforced'];
const TERMINAL: EnforcePhase[] = ['enforced', 'rolled-back'];

export function isTerminal(phase: EnforcePhase): boolean {
  return TERMINAL.includes(phase);
}

/** Allowed transitions: forward along ORDER, or to rolling-back (then rolled-back) from any live phase after gates. */
export function canTransition(from: EnforcePhase, to: EnforcePhase): boolean {
  if (isTerminal(from)) return false;
  if (to === 'rolling-back') return from !== 'gates';
  if (from === 'rolling-back') return to === 'rolled-back';
  const fromIndex = ORDER.indexOf(from);
  const toIndex = ORDER.indexOf(to);
  return fromIndex >= 0 && toIndex === fromIndex + 1;
}

export function transition(state: EnforceState, to: EnforcePhase, at: Date = new Date()): EnforceState {
  if (!canTransition(state.phase, to)) throw new Error(`enforce cannot go from ${state.phase} to ${to}`);
  return { ...state, phase: to, updatedAt: at.toISOString() };
}

/** Adds the etcd endpoints found down later in the run to those down at the gates, each once, in order. */
export function withEndpointsDown(state: EnforceState, down: readonly string[]): EnforceState {
  return { ...state, endpointsDown: [...new Set([...state.endpointsDown, ...down])] };
}

export type RecoveryStep = { kind: 'auth-disable' } | { kind: 'resume'; clusters: string[] };

/**
 * What `etcd auth rollback` must do for a run left in `state` (possibly
 * interrupted), given whether auth is on right now: disable auth if it is on,
 * then resume the clusters that run paused.
 */
export function rollbackSteps(state: EnforceState | undefined, authEnabledNow: boolean): RecoveryStep[] {
  const steps: RecoveryStep[] = [];
  if (authEnabledNow) steps.push({ kind: 'auth-disable' });
  if (state && state.pausedByUs.length > 0 && state.phase !== 'enforced' && state.phase !== 'rolled-back') {
    steps.push({ kind: 'resume', clusters: state.pausedByUs });
  }
  return steps;
}

/** Whether a new `enforce` may start, or must first finish or roll back an interrupted one. */
export function interruptedRun(state: EnforceState | undefined): EnforceState | undefined {
  return state && !isTerminal(state.phase) ? state : undefined;
}

/**
 * How a run found interrupted is finished. One left in `resuming` with auth
 * on had passed every probe (the phase is saved only then): it is carried
 * forward (the clusters it paused are resumed, the run recorded enforced).
 * Any other is rolled back (auth off, its clusters resumed).
 */
export type InterruptedRunRecovery =
  { kind: 'carry-forward'; resume: string[] } | { kind: 'roll-back'; steps: RecoveryStep[] };

export function recoveryOf(state: EnforceState, authEnabledNow: boolean): InterruptedRunRecovery {
  if (state.phase === 'resuming' && authEnabledNow) return { kind: 'carry-forward', resume: state.pausedByUs };
  return { kind: 'roll-back', steps: rollbackSteps(state, authEnabledNow) };
}

/** What finishing the interrupted run will do, in one sentence (for migrate's plan and enforce's progress). */
export function describeRecovery(state: EnforceState, recovery: InterruptedRunRecovery): string {
  const run = `enforce run ${state.id} (coordinator ${state.coordinator.host} pid ${state.coordinator.pid}) was interrupted in phase ${state.phase}`;
  if (recovery.kind === 'carry-forward')
    return `${run} after every probe passed: it is carried forward (${recovery.resume.length > 0 ? `${recovery.resume.join(', ')} resumed` : 'nothing to resume'}, the run recorded enforced)`;
  const steps = recovery.steps.map((step) =>
    step.kind === 'auth-disable' ? 'auth disabled' : `${step.clusters.join(', ')} resumed`,
  );
  return `${run}: it is rolled back (${steps.length > 0 ? steps.join(', ') : 'nothing was left to undo'})`;
}
