import { type EnforceState, isTerminal } from './enforce-state.js';

/**
 * Where a fleet stands in the etcd auth migration, from what `status` read:
 * auth on or off, the members' readiness, and the last enforce run (kept in
 * etcd). Pure.
 */
export type MigrationStage =
  | 'not-started'
  | 'applying'
  | 'ready-to-enforce'
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
  readyMembers: number;
  totalMembers: number;
  lastRun: EnforceState | undefined;
  /** Whether the coordinator of a non-terminal run is still alive: known only on its own host. */
  coordinatorAlive: boolean | undefined;
}

export function migrationStanding(input: StandingInput): MigrationStanding {
  const { authEnabled, readyMembers, totalMembers, lastRun } = input;
  const counts = { readyMembers, totalMembers };
  const ready = `${readyMembers}/${totalMembers} member(s) ready`;
  if (lastRun && !isTerminal(lastRun.phase)) {
    if (input.coordinatorAlive === true) {
      return {
        stage: 'enforce-running',
        ...counts,
        summary: `enforce run ${lastRun.id} is in phase ${lastRun.phase} (coordinator pid ${lastRun.coordinator.pid} on ${lastRun.coordinator.host} is running)`,
        next: 'wait for it to finish',
      };
    }
    const who =
      input.coordinatorAlive === false
        ? `its coordinator (pid ${lastRun.coordinator.pid} on ${lastRun.coordinator.host}) is gone`
        : `its coordinator ran on ${lastRun.coordinator.host} (pid ${lastRun.coordinator.pid}); check that it is gone`;
    return {
      stage: 'enforce-interrupted',
      ...counts,
      summary: `enforce run ${lastRun.id} was interrupted in phase ${lastRun.phase}: ${who}; auth is ${authEnabled ? 'ON' : 'off'}${lastRun.pausedByUs.length ? `, ${lastRun.pausedByUs.length} cluster(s) still paused by it` : ''}`,
      next: '`pgfleet etcd auth rollback` (auth off, clusters resumed) or `pgfleet etcd auth enforce` (rolls the interrupted run back, then runs again)',
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
  if (readyMembers > 0) {
    return {
      stage: 'applying',
      ...counts,
      summary: `auth is off; ${ready}${rolledBack}`,
      next: '`pgfleet etcd auth apply` on the hosts of the members not ready (`pgfleet etcd auth plan` lists them)',
    };
  }
  return {
    stage: 'not-started',
    ...counts,
    summary: `auth is off; no member has credentials yet${rolledBack}`,
    next: '`pgfleet etcd auth plan`, then `pgfleet etcd auth migrate`',
  };
}
