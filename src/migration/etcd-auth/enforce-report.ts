import type { RunLock } from '../../adapters/etcd/run-lock.js';
import type { GateFailure } from '../../core/migration/enforce-gates.js';
import type { EnforcePhase, EnforceState } from '../../core/migration/enforce-state.js';
import type { PhaseTiming } from '../../core/migration/phase-timings.js';
import type { PauseWindow } from '../../core/migration/pause-window.js';
import type { TenantProbeResult } from './tenant-probe.js';
import type { AfterEnableReport } from '../../core/census/census-after-enable.js';
import type { AcknowledgedSubject } from '../../core/migration/census-gates.js';

/** The census in an enforce report: what the gates let through by acknowledgement, and what changed once auth was on. */
export interface EnforceCensusView {
  acknowledged: AcknowledgedSubject[];
  warnings: string[];
  /** What the census at the gates could not measure. */
  incomplete: string[];
  /** The census again with auth on (only for an enforced run). */
  afterEnable?: AfterEnableReport | undefined;
}

export interface EnforceOptions {
  /** For drills only: go on although gates failed, to see the probes catch it. */
  skipGates?: boolean | undefined;
  onProgress?: ((message: string) => void) | undefined;
  /** Test hook: called after each persisted phase (e.g. to kill the coordinator between enable and probes). */
  afterPhase?: ((phase: EnforcePhase) => Promise<void>) | undefined;
  /** Test hook: called after a step's action on the fleet, before its record is saved (e.g. to kill the coordinator once the resume went through). */
  afterStep?: ((step: 'paused' | 'probed' | 'resumed') => Promise<void>) | undefined;
  /** Steps the caller timed before enforce (migrate's plan, prepare, apply): they open the report's timings. */
  timingsBefore?: PhaseTiming[] | undefined;
  /** The run lock a caller already holds (`migrate` holds one across prepare, apply and enforce); without it, enforce takes its own. */
  lock?: RunLock | undefined;
}

export interface EnforceReport {
  outcome: 'enforced' | 'rolled-back';
  state: EnforceState;
  gateFailures: GateFailure[];
  /** Each tenant's and each declared client's probe with its own credentials. */
  tenantProbes: TenantProbeResult[];
  census?: EnforceCensusView | undefined;
  recoveredInterruptedRun?: string | undefined;
  /** The interrupted run had passed every probe: this run resumed its clusters and recorded it enforced. */
  carriedForward?: boolean | undefined;
  /** Wall-clock time of each step of this run. */
  timings?: PhaseTiming[] | undefined;
  /** How long each cluster this run paused stayed paused: from its pause written to its resume written. */
  pauseWindows?: PauseWindow[] | undefined;
  /** The report files, when the connection has a reportDir. */
  reportFiles?: { json: string; text: string } | undefined;
}
