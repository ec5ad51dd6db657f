import { setTimeout as sleep } from 'node:timers/promises';
import { decideReloadProof, type ReloadProof, type WrittenFile } from '../../core/instance/reload-proof.js';
import { linesSince, markLog } from '../fs/log-window.js';
import { listPatroniProcesses, type PatroniProcess } from '../process/patroni-processes.js';
import type { PatroniRestClient } from './rest-client.js';

export interface ReloadAndProveOptions {
  written: WrittenFile;
  /** The member's Patroni before the write (pid and start time): a different start time means it restarted since. */
  before: { pid: number; startTicks: number };
  /** The member's REST API (with its credentials: POST /reload is an unsafe call). */
  rest: PatroniRestClient;
  /** Patroni's log (DiscoveredMember.logFile); undefined when it logs elsewhere (journald). */
  logFile: string | undefined;
  /** reloadDeadlineSeconds() of the cluster's dynamic configuration. */
  deadlineSeconds: number;
  pollMs?: number;
  /** How this host's Patroni processes are listed at each poll: members proven together share one recent /proc scan. */
  listProcesses?: () => Promise<PatroniProcess[]>;
}

/**
 * Asks the member's Patroni to reload and waits for the proof that it took
 * the written file (core/instance/reload-proof): its log is marked before the
 * request and read until the first reload cycle after it completes.
 * A refused `POST /reload` (401/403, or any non-202) is `unproven`.
 */
export async function reloadAndProve(options: ReloadAndProveOptions): Promise<ReloadProof> {
  const mark = options.logFile ? await markLog(options.logFile) : undefined;
  const answer = await options.rest.reload();
  if (answer.status !== 202) {
    return {
      status: 'unproven',
      reason: `POST /reload answered HTTP ${answer.status}`,
      hint:
        answer.status === 401 || answer.status === 403
          ? 'the REST API needs credentials for unsafe calls (restapi.authentication / ctl)'
          : 'check the member',
    };
  }
  const deadline = Date.now() + options.deadlineSeconds * 1000;
  for (;;) {
    const deadlinePassed = Date.now() >= deadline;
    const processes = await (options.listProcesses ?? listPatroniProcesses)();
    // A Patroni restarted since has another pid: the one that reads the written file then.
    const process =
      processes.find((candidate) => candidate.pid === options.before.pid) ??
      processes.find((candidate) => candidate.realConfigPath === options.written.realPath);
    const window = mark ? await linesSince(mark) : undefined;
    const proof = decideReloadProof({
      written: options.written,
      process: process ? facts(process, options.before) : undefined,
      logSinceRequest: window?.lines,
      logRotated: window?.rotated ?? false,
      deadlinePassed,
    });
    if (proof.status !== 'waiting') return proof;
    await sleep(options.pollMs ?? 500);
  }
}

function facts(
  process: PatroniProcess,
  before: { pid: number; startTicks: number },
): Parameters<typeof decideReloadProof>[0]['process'] {
  return {
    pid: process.pid,
    realConfigPath: process.realConfigPath,
    configIsDirectory: process.configIsDirectory,
    environmentOverrides: process.environmentOverrides,
    startedAfterWrite:
      process.pid !== before.pid || (before.startTicks !== 0 && process.startTicks !== before.startTicks),
  };
}
