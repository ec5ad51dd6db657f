import { type EnforceState, isTerminal, recoveryOf } from './enforce-state.js';
import { type RunLockHolder, describeRunLockHolder, judgeRecordedRun } from './run-lock-record.js';

/**
 * Where a fleet stands in the etcd auth migration, from what `status` read at
 * the time of the call: auth on or off and each member's pause state and
 * readiness read live, the run lock, and the last enforce run's record (kept
 * in etcd). The record says what a run did; the fleet says what is true now:
 * the summary speaks of the fleet, and where the two disagree
 * (`recordVersusFleet`) status says so. Pure.
 */
export type MigrationStage =
  | 'not-started'
  | 'applying'
  | 'waiting-for-members'
  | 'ready-to-enforce'
  | 'run-in-progress'
  | 'enforce-running'
  | 'enforce-interrupted'
  | 'enforced'
  | 'enabled-outside-pgfleet';

export interface MigrationStanding {
  stage: MigrationStage;
  readyMembers: number;
  totalMembers: number;
  summary: string;
  next: string | undefined;
}

export interface StandingInput {
  authEnabled: boolean;
  totalMembers: number;
  /** Applied with their cluster's tenant AND answering now: an unreachable member is never counted ready. */
  readyMembers: number;
  /** Members applied with their tenant whose REST API did not answer. */
  unreachableMembers: readonly string[];
  lastRun: EnforceState | undefined;
  /** The run lock now (undefined: free). */
  lock: { holder: RunLockHolder | undefined } | undefined;
  /** Whether the recorded run's coordinator process exists: known only on its own host. */
  coordinatorProcess?: 'alive' | 'gone' | undefined;
  /** Clusters at least one member reports paused, read live. */
  pausedNow: readonly string[];
  now?: Date | undefined;
}

export function migrationStanding(input: StandingInput): MigrationStanding {
  const { authEnabled, readyMembers, totalMembers, lastRun } = input;
  const now = input.now ?? new Date();
  const counts = { readyMembers, totalMembers };
  const unreachable = input.unreachableMembers.length;
  const ready = `${readyMembers}/${totalMembers} member(s) ready${unreachable > 0 ? ` (${unreachable} applied but unreachable: ${input.unreachableMembers.join(', ')})` : ''}`;
  const otherRun =
    input.lock && (!lastRun || input.lock.holder?.runId !== lastRun.id || isTerminal(lastRun.phase))
      ? input.lock.holder
        ? describeRunLockHolder(input.lock.holder, now)
        : 'a run whose lock record cannot be read'
      : undefined;

  if (lastRun && !isTerminal(lastRun.phase)) {
    const judged = judgeRecordedRun(lastRun.id, input.lock);
    // A coordinator killed on this host leaves its lease until the TTL runs out: its run is over all the same.
    const killed = judged.standing === 'running' && input.coordinatorProcess === 'gone';
    if (judged.standing === 'running' && !killed) {
      return {
        stage: 'enforce-running',
        ...counts,
        summary: `enforce run ${lastRun.id} is running: ${describeRunLockHolder(judged.holder, now)}`,
        next: 'wait for it to finish',
      };
    }
    if (judged.standing === 'other-run-holds-lock') {
      return {
        stage: 'run-in-progress',
        ...counts,
        summary: `enforce run ${lastRun.id} did not finish (phase ${lastRun.phase}), and another run holds the run lock now: ${otherRun ?? 'unknown holder'}; it finishes or rolls back the unfinished run`,
        next: 'wait for it to finish',
      };
    }
    const coordinator = `its coordinator (pid ${lastRun.coordinator.pid} on ${lastRun.coordinator.host})`;
    const who =
      input.coordinatorProcess === 'alive'
        ? `${coordinator} still exists but no longer holds the run lock (stopped, or cut off from etcd): it will stop at its next step`
        : input.coordinatorProcess === 'gone'
          ? `${coordinator} is gone`
          : `${coordinator} no longer holds the run lock`;
    const recovery = recoveryOf(lastRun, authEnabled);
    return {
      stage: 'enforce-interrupted',
      ...counts,
      summary: `enforce run ${lastRun.id} was interrupted in phase ${lastRun.phase}: ${who}; auth is ${authEnabled ? 'ON' : 'off'}, ${pausedByRunNow(lastRun, input.pausedNow)}${killed ? '; its run lock lasts until its lease runs out, and the next run on this host takes it over at once' : ''}`,
      next:
        recovery.kind === 'carry-forward'
          ? '`pgfleet etcd auth migrate` (the run had passed every probe: it resumes what is still paused and records the run enforced), or `pgfleet etcd auth rollback` (auth off, clusters resumed)'
          : '`pgfleet etcd auth rollback` (auth off, clusters resumed), or `pgfleet etcd auth migrate` / `pgfleet etcd auth enforce` (rolls the interrupted run back, then runs again)',
    };
  }
  if (otherRun) {
    return {
      stage: 'run-in-progress',
      ...counts,
      summary: `auth is ${authEnabled ? 'ON' : 'off'}; ${ready}; a run is going on: ${otherRun}`,
      next: 'wait for it to finish',
    };
  }
  if (authEnabled) {
    if (lastRun?.phase === 'enforced')
      return {
        stage: 'enforced',
        ...counts,
        summary: `auth is on: enforced by run ${lastRun.id} (${lastRun.updatedAt})`,
        next: undefined,
      };
    return {
      stage: 'enabled-outside-pgfleet',
      ...counts,
      summary: 'auth is on, but no pgfleet enforce run switched it on',
      next: 'check every member can write to the DCS; `pgfleet etcd auth rollback` switches auth off',
    };
  }
  const rolledBack =
    lastRun?.phase === 'rolled-back'
      ? `; last enforce run ${lastRun.id} was rolled back${lastRun.exposureWindowMs !== undefined ? ` (auth was on for ${lastRun.exposureWindowMs} ms)` : ''}`
      : '';
  if (totalMembers > 0 && readyMembers === totalMembers) {
    return {
      stage: 'ready-to-enforce',
      ...counts,
      summary: `auth is off; ${ready}${rolledBack}`,
      next: '`pgfleet etcd auth enforce`',
    };
  }
  if (totalMembers > 0 && readyMembers + unreachable === totalMembers) {
    return {
      stage: 'waiting-for-members',
      ...counts,
      summary: `auth is off; ${ready}${rolledBack}`,
      next: `bring back ${input.unreachableMembers.join(', ')} (enforce pauses and probes every member, so each must answer), then \`pgfleet etcd auth enforce\``,
    };
  }
  if (readyMembers + unreachable > 0) {
    return {
      stage: 'applying',
      ...counts,
      summary: `auth is off; ${ready}${rolledBack}`,
      next: `\`pgfleet etcd auth apply\` on the hosts of the members not ready (\`pgfleet etcd auth plan\` lists them)${unreachable > 0 ? `; bring back ${input.unreachableMembers.join(', ')}` : ''}`,
    };
  }
  return {
    stage: 'not-started',
    ...counts,
    summary: `auth is off; no member has credentials yet${rolledBack}`,
    next: '`pgfleet etcd auth plan`, then `pgfleet etcd auth migrate`',
  };
}

/** The clusters an unfinished run paused, as the members report them now. */
function pausedByRunNow(run: EnforceState, pausedNow: readonly string[]): string {
  if (run.pausedByUs.length === 0) return 'it had paused no cluster';
  const still = run.pausedByUs.filter((cluster) => pausedNow.includes(cluster));
  if (still.length === 0)
    return `no cluster it paused is paused now (every member reports paused: false), although its record lists ${run.pausedByUs.length}`;
  const resumed = run.pausedByUs.length - still.length;
  return `${still.length} cluster(s) still paused by it (${still.join(', ')})${resumed > 0 ? `; ${resumed} other(s) it paused report paused: false` : ''}`;
}

/**
 * Where the run's record and the fleet read now disagree, one sentence each.
 * The record is what a run wrote as it went; a coordinator killed between an
 * action and its record (a resume sent, the state not yet saved) leaves the
 * record behind the fleet.
 */
export function recordVersusFleet(input: {
  authEnabled: boolean;
  lastRun: EnforceState | undefined;
  pausedNow: readonly string[];
  /** Clusters whose members were all read (an unreachable member leaves its cluster's pause state unknown). */
  clustersRead: readonly string[];
}): string[] {
  const run = input.lastRun;
  if (!run) return [];
  const found: string[] = [];
  if (!isTerminal(run.phase)) {
    const resumed = run.pausedByUs.filter(
      (cluster) => input.clustersRead.includes(cluster) && !input.pausedNow.includes(cluster),
    );
    if (resumed.length > 0)
      found.push(
        `the record of run ${run.id} lists ${resumed.join(', ')} as paused by it, but every member of ${resumed.length === 1 ? 'that cluster' : 'those clusters'} reports paused: false`,
      );
    if (input.authEnabled && (run.phase === 'gates' || run.phase === 'pausing'))
      found.push(
        `the record of run ${run.id} stops in phase ${run.phase}, before auth enable, but etcd auth is ON: something else switched it on`,
      );
  }
  if (run.phase === 'enforced' && !input.authEnabled)
    found.push(
      `the record says run ${run.id} enforced auth (${run.updatedAt}), but etcd auth is off now: it was switched off outside that run`,
    );
  return found;
}
