/**
 * What every guarded run (etcd auth enforce, etcd tls migrate, and the runs
 * that follow them) records about itself in etcd, whatever its phases: who
 * coordinates it, since when, which clusters it holds paused, what failed.
 * A run's own state type extends this envelope with its phase and details.
 */
export interface RunCoordinator {
  host: string;
  pid: number;
}

export interface RunEnvelope<Phase extends string> {
  id: string;
  phase: Phase;
  coordinator: RunCoordinator;
  startedAt: string;
  updatedAt: string;
  /** Clusters this run paused (keys `<namespace><scope>`); clusters already paused by an operator are never listed and stay paused. */
  pausedByUs: string[];
  failures: string[];
  /** What went wrong without failing the run (e.g. a member slow to show the resume). */
  warnings?: string[] | undefined;
}

/** A new run's envelope, in its first phase. */
export function openRunEnvelope<Phase extends string>(
  phase: Phase,
  identity: { id: string; coordinator: RunCoordinator },
  at: Date = new Date(),
): RunEnvelope<Phase> {
  return {
    id: identity.id,
    phase,
    coordinator: identity.coordinator,
    startedAt: at.toISOString(),
    updatedAt: at.toISOString(),
    pausedByUs: [],
    failures: [],
  };
}

/** The progress line of a drill that goes past failed gates (`--skip-gates`), the same for every guarded run. */
export function skipGatesNotice(failedGates: number): string {
  return `gates failed (${failedGates}) but --skip-gates was given: going on for the drill`;
}
