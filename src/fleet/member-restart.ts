import { setTimeout as sleep } from 'node:timers/promises';
import { describeEtcdTlsLogCause, diagnoseEtcdTlsLog } from '../core/migration/etcd-tls-log-diagnosis.js';
import { memberId } from '../core/migration/fleet-member.js';
import { type ProcessHandle, isRunning } from '../adapters/process/daemon.js';
import { type LocalInstance, asFleetMember } from '../node/local-instances.js';
import { readPatroniPid } from '../node/patroni-process.js';
import { type PatroniDaemonAccess, logLinesSince, restartPatroniDaemon } from '../node/patroni-restart.js';
import type { FleetRestClients } from './fleet-rest.js';
import { probeMemberWrites } from './member-write-probe.js';

export type Verification =
  | { ok: true; backAfterMs: number; postmasterBefore: ProcessHandle | undefined }
  | { ok: false; reason: string; postmasterBefore: ProcessHandle | undefined };

/**
 * Restarts the member's Patroni (only while its cluster is paused) and waits
 * until it answers "running" within `timeoutMs` and its DCS write probe passes.
 */
export async function restartAndVerify(
  instance: LocalInstance,
  daemon: PatroniDaemonAccess,
  rest: FleetRestClients,
  timeoutMs: number,
): Promise<Verification> {
  const member = asFleetMember(instance);
  const id = memberId(member);
  const layout = daemon.layoutOf(instance.name);
  const dataDir = String(
    (instance.config.postgresql as Record<string, unknown> | undefined)?.data_dir ?? layout.dataDir,
  );
  // Outside a pause, a stopping Patroni stops PostgreSQL (and a leader's cluster fails over): never restart one then.
  const running = await readPatroniPid(layout);
  if (running && isRunning(running)) {
    const status = await rest
      .for(member)
      .nodeStatus()
      .catch(() => undefined);
    if (status && status.pause !== true)
      return {
        ok: false,
        reason: 'its cluster is not paused: restarting its Patroni would stop PostgreSQL',
        postmasterBefore: undefined,
      };
  }
  let restart;
  try {
    restart = await restartPatroniDaemon(layout, dataDir, { patroniBinary: daemon.binary, runAs: daemon.runAs });
  } catch (error) {
    return {
      ok: false,
      reason: `its Patroni could not be restarted: ${error instanceof Error ? error.message : String(error)}`,
      postmasterBefore: undefined,
    };
  }
  const postmasterBefore = restart.postmasterBefore;
  const restartedAt = Date.now();
  const deadline = restartedAt + timeoutMs;
  const explain = async (what: string): Promise<string> => {
    const cause = describeEtcdTlsLogCause(
      diagnoseEtcdTlsLog(await logLinesSince(layout.logFile, restart.logOffset)),
      id,
    );
    return cause ? `${what}: ${cause}` : what;
  };
  for (;;) {
    if (!isRunning(restart.started))
      return {
        ok: false,
        reason: await explain(`its Patroni exited after the restart (log: ${layout.logFile})`),
        postmasterBefore,
      };
    const status = await rest
      .for(member)
      .nodeStatus()
      .catch(() => undefined);
    if (status?.state === 'running') break;
    if (Date.now() > deadline) {
      return {
        ok: false,
        reason: await explain(
          `not back within ${Math.round(timeoutMs / 1000)} s${status ? ` (state ${status.state})` : ' (its REST API does not answer)'}`,
        ),
        postmasterBefore,
      };
    }
    await sleep(300);
  }
  const [probe] = await probeMemberWrites([member], rest);
  if (!probe?.ok)
    return {
      ok: false,
      reason: await explain(`back, but its DCS write probe failed (${probe?.detail ?? 'no answer'})`),
      postmasterBefore,
    };
  return { ok: true, backAfterMs: Date.now() - restartedAt, postmasterBefore };
}
