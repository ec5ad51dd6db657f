/** Patroni's default `loop_wait`, when the dynamic configuration does not set it. */
const DEFAULT_LOOP_WAIT_S = 10;
/** Room for the HA cycle under way when the reload was asked for (a DCS round trip, a PostgreSQL query). */
const CYCLE_MARGIN_MS = 2_000;

/**
 * How long after `POST /reload` Patroni is sure to run on the reloaded file.
 * The request only raises a flag (202 "reload scheduled"): the main loop
 * reloads at the start of its next HA cycle, which starts at most `loop_wait`
 * after the cycle under way. A readiness record written before that vouches
 * for credentials the running Patroni does not have yet.
 */
export function reloadAppliedWithinMs(dynamicConfig: Record<string, unknown>): number {
  const loopWait = Number(dynamicConfig.loop_wait);
  return (Number.isFinite(loopWait) && loopWait > 0 ? loopWait : DEFAULT_LOOP_WAIT_S) * 1000 + CYCLE_MARGIN_MS;
}
