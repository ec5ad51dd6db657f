/** How long one cluster stayed paused during a run: from its pause written to its resume written. */
export interface PauseWindow {
  cluster: string;
  ms: number;
}

/** The window of every cluster that has both moments, sorted by cluster. */
export function pauseWindowsOf(
  pausedAt: ReadonlyMap<string, number>,
  resumedAt: ReadonlyMap<string, number>,
): PauseWindow[] {
  return [...pausedAt]
    .flatMap(([cluster, paused]) => {
      const resumed = resumedAt.get(cluster);
      return resumed === undefined ? [] : [{ cluster, ms: resumed - paused }];
    })
    .sort((a, b) => a.cluster.localeCompare(b.cluster));
}

/** Longest and median window (0 for none). */
export function summarizePauseWindows(windows: readonly PauseWindow[]): { maxMs: number; medianMs: number } {
  if (windows.length === 0) return { maxMs: 0, medianMs: 0 };
  const sorted = windows.map((window) => window.ms).sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const medianMs = sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return { maxMs: sorted.at(-1)!, medianMs };
}
