import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, PgfleetError } from '../core/errors.js';
import { startFailureExcerpt } from '../core/instance/log-excerpt.js';
import { redactSecrets } from '../core/patroni-config/validation-findings.js';
import type { PatroniNodeStatus, PatroniRestClient } from '../adapters/patroni/rest-client.js';
import type { LogMark, PatroniService } from './patroni-service.js';

export type ReadinessOutcome =
  | { ready: true; status: PatroniNodeStatus; elapsedMs: number }
  | { ready: false; reason: 'exited' | 'timeout' | 'interrupted'; lastState: string | undefined; elapsedMs: number };

/**
 * Waits until the member's REST API answers 200 on GET /readiness (leader,
 * or PostgreSQL running and the DCS reachable), within a bounded time. Stops
 * early when the Patroni process is gone.
 */
export async function waitForPatroniReadiness(options: {
  rest: PatroniRestClient;
  timeoutMs: number;
  running: () => Promise<boolean>;
  onState?: ((state: string) => void) | undefined;
  /** Aborted by Ctrl-C (SIGINT/SIGTERM): stop waiting. */
  signal?: AbortSignal | undefined;
}): Promise<ReadinessOutcome> {
  const started = Date.now();
  let lastState: string | undefined;
  for (;;) {
    const elapsedMs = Date.now() - started;
    if (options.signal?.aborted) return { ready: false, reason: 'interrupted', lastState, elapsedMs };
    if (!(await options.running())) return { ready: false, reason: 'exited', lastState, elapsedMs };
    const readiness = await options.rest.send('GET', '/readiness').catch(() => undefined);
    const status = await options.rest.nodeStatus().catch(() => undefined);
    if (status && status.state !== lastState) {
      lastState = status.state;
      options.onState?.(status.state);
    }
    if (readiness?.status === 200 && status) return { ready: true, status, elapsedMs: Date.now() - started };
    if (elapsedMs > options.timeoutMs) return { ready: false, reason: 'timeout', lastState, elapsedMs };
    await sleep(500, undefined, options.signal ? { signal: options.signal } : {}).catch(() => undefined);
  }
}

/** The error for a Patroni that did not become ready: what happened, and the last lines of its log (secrets redacted). */
export async function patroniStartError(options: {
  instance: string;
  outcome: Extract<ReadinessOutcome, { ready: false }>;
  service: PatroniService;
  /** Where the log ended before this start: only what came after is shown. */
  logMark?: LogMark | undefined;
  secrets: readonly string[];
  /** What pgfleet did about it, as one sentence for the hint. */
  aftermath: string;
  exitCode: (typeof ExitCode)['rolledBack' | 'failed'];
}): Promise<PgfleetError> {
  const { outcome } = options;
  const tail = redactSecrets(
    startFailureExcerpt(await options.service.logTail(300, options.logMark).catch(() => '')).join('\n'),
    [...options.secrets],
  );
  const message =
    outcome.reason === 'exited'
      ? `Patroni of instance ${options.instance} exited during start-up`
      : outcome.reason === 'interrupted'
        ? `interrupted while waiting for Patroni of instance ${options.instance}`
        : `Patroni of instance ${options.instance} was not ready after ${Math.round(outcome.elapsedMs / 1000)} s${outcome.lastState ? ` (state: ${outcome.lastState})` : ''}`;
  const code = { exited: 'PATRONI_EXITED', timeout: 'PATRONI_START_TIMEOUT', interrupted: 'INTERRUPTED' }[
    outcome.reason
  ];
  return new PgfleetError(code, message, {
    hint: `${options.aftermath}; its log: ${options.service.logSource}${tail ? `\n--- from ${options.service.logSource} ---\n${tail}` : ''}`,
    exitCode: outcome.reason === 'interrupted' ? ExitCode.interrupted : options.exitCode,
    details: {
      reason: outcome.reason,
      lastState: outcome.lastState ?? null,
      elapsedMs: outcome.elapsedMs,
      log: options.service.logSource,
    },
  });
}
