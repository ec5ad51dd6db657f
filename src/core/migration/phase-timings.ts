/**
 * Wall-clock time of a guarded run's steps, as the report states it. Each
 * step is timed from the moment it starts to the moment the next one can
 * begin, with every write of the run's state and every wait inside it: the
 * figure is what an operator's watch would show (an etcd election during the
 * probes counts in the probes).
 */
export type EnforceStep =
  'plan' | 'prepare' | 'apply' | 'recovery' | 'gates' | 'pause' | 'enable' | 'probes' | 'rollback' | 'resume';

export interface PhaseTiming {
  step: EnforceStep;
  ms: number;
}

/** `1.234 s` from 1 s on, `87 ms` below. */
export function formatDuration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** `gates 1.2 s, pause 412 ms, enable 35 ms, probes 5.4 s, resume 802 ms (total 7.9 s)`. */
export function formatPhaseTimings(timings: readonly PhaseTiming[]): string {
  if (timings.length === 0) return 'no step timed';
  const total = timings.reduce((sum, timing) => sum + timing.ms, 0);
  return `${timings.map((timing) => `${timing.step} ${formatDuration(timing.ms)}`).join(', ')} (total ${formatDuration(total)})`;
}
