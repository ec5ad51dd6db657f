import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, PgfleetError } from '../core/errors.js';
import { passwordValuesIn } from '../core/patroni-config/config-secrets.js';
import { type PatroniNodeStatus, PatroniRestClient } from '../adapters/patroni/rest-client.js';
import type { InstanceSite, ManagedInstance } from './instance-site.js';
import { displayRole, isPrimaryRole } from '../fleet/member-role.js';
import { patroniStartError, waitForPatroniReadiness } from './patroni-readiness.js';
import { type PatroniService, patroniService } from './patroni-service.js';
import { postmasterHandle } from '../node/patroni-process.js';
import { postmasterKept } from '../node/patroni-restart.js';

export function serviceOf(site: InstanceSite, instance: ManagedInstance): PatroniService {
  return patroniService(site, instance.layout, instance.record?.service ?? 'background');
}

export function restClientOf(instance: ManagedInstance, timeoutMs = 5_000): PatroniRestClient {
  return new PatroniRestClient(instance.local.restUrl, instance.local.restCredentials, timeoutMs);
}

export interface StartedInstance {
  name: string;
  alreadyRunning: boolean;
  role: string;
  state: string;
  elapsedMs: number;
}

/** Starts Patroni and waits (bounded) for GET /readiness; on failure, the last lines of its log. */
export async function startInstance(
  site: InstanceSite,
  instance: ManagedInstance,
  options: { timeoutMs: number; onState?: (state: string) => void },
): Promise<StartedInstance> {
  const service = serviceOf(site, instance);
  const alreadyRunning = (await service.runningPid()) !== undefined;
  const logMark = await service.logMark();
  if (!alreadyRunning) await service.start();
  const rest = restClientOf(instance, 3_000);
  try {
    const outcome = await waitForPatroniReadiness({
      rest,
      timeoutMs: options.timeoutMs,
      running: async () => (await service.runningPid()) !== undefined,
      onState: options.onState,
    });
    if (!outcome.ready) {
      throw await patroniStartError({
        instance: instance.name,
        outcome,
        service,
        logMark,
        secrets: passwordValuesIn(instance.local.config),
        aftermath:
          outcome.reason === 'exited'
            ? 'fix the cause and start it again'
            : `Patroni keeps running: see \`pgfleet instance status ${instance.name}\`, or stop it`,
        exitCode: ExitCode.failed,
      });
    }
    return {
      name: instance.name,
      alreadyRunning,
      role: displayRole(outcome.status.role),
      state: outcome.status.state,
      elapsedMs: outcome.elapsedMs,
    };
  } finally {
    await rest.close();
  }
}

/** Stops Patroni, which stops PostgreSQL (a leader hands over to a replica). */
export async function stopInstance(
  site: InstanceSite,
  instance: ManagedInstance,
): Promise<{ name: string; wasRunning: boolean }> {
  const service = serviceOf(site, instance);
  const wasRunning = (await service.runningPid()) !== undefined;
  await service.stop();
  return { name: instance.name, wasRunning };
}

/** POST /reload: Patroni re-reads its YAML at its next cycle. */
export async function reloadInstance(
  instance: ManagedInstance,
): Promise<{ name: string; status: number; answer: string }> {
  const rest = restClientOf(instance);
  try {
    const answer = await rest.reload();
    if (answer.status !== 200 && answer.status !== 202)
      throw unsafeCallError(instance, 'POST /reload', answer.status, answer.text);
    return { name: instance.name, status: answer.status, answer: answer.text.trim() };
  } finally {
    await rest.close();
  }
}

export function unsafeCallError(instance: ManagedInstance, call: string, status: number, text: string): PgfleetError {
  const auth = status === 401 || status === 403;
  return new PgfleetError(
    'PATRONI_CALL_REFUSED',
    `${call} on ${instance.local.restUrl} answered HTTP ${status}${text.trim() ? `: ${text.trim().split('\n')[0]}` : ''}`,
    {
      hint: auth
        ? "pgfleet uses the REST API credentials of the instance's YAML (restapi.authentication) and the ctl certificates of the settings: check them"
        : `see \`pgfleet instance logs ${instance.name}\``,
      exitCode: ExitCode.failed,
    },
  );
}

export interface RestartedMember {
  name: string;
  role: string;
  restarted: boolean;
  pendingRestartAfter: boolean;
  detail: string;
}

/**
 * Restarts PostgreSQL through Patroni (POST /restart), never the Patroni
 * daemon. With `pending`, every member of the cluster whose pending_restart
 * is set, replicas first and the leader last, each back to running before
 * the next one.
 */
export async function restartPostgresql(
  instance: ManagedInstance,
  options: { pending: boolean; timeoutMs: number; onStep?: (message: string) => void },
): Promise<RestartedMember[]> {
  const own = restClientOf(instance);
  try {
    if (!options.pending) {
      const status = await own.nodeStatus();
      return [await restartMember(instance, own, instance.local.node, status, options.timeoutMs, false)];
    }
    const cluster = await own.cluster();
    const members = cluster.members.filter((member) => member.api_url);
    const clients = new Map(
      members.map((member) => [
        member.name,
        new PatroniRestClient(member.api_url!.replace(/\/patroni$/, ''), instance.local.restCredentials, 5_000),
      ]),
    );
    try {
      const statuses = await Promise.all(
        members.map(async (member) => ({
          member,
          status: await clients
            .get(member.name)!
            .nodeStatus()
            .catch(() => undefined),
        })),
      );
      const ordered = statuses.sort(
        (a, b) => Number(isPrimaryRole(a.member.role)) - Number(isPrimaryRole(b.member.role)),
      );
      const results: RestartedMember[] = [];
      for (const { member, status } of ordered) {
        if (!status) {
          results.push({
            name: member.name,
            role: displayRole(member.role),
            restarted: false,
            pendingRestartAfter: false,
            detail: 'REST API did not answer',
          });
          continue;
        }
        if (!status.pending_restart) {
          results.push({
            name: member.name,
            role: displayRole(status.role),
            restarted: false,
            pendingRestartAfter: false,
            detail: 'no restart pending',
          });
          continue;
        }
        options.onStep?.(`restarting PostgreSQL of ${member.name} (${displayRole(status.role)})`);
        results.push(
          await restartMember(instance, clients.get(member.name)!, member.name, status, options.timeoutMs, true),
        );
      }
      return results;
    } finally {
      await Promise.all([...clients.values()].map((client) => client.close()));
    }
  } finally {
    await own.close();
  }
}

async function restartMember(
  instance: ManagedInstance,
  rest: PatroniRestClient,
  name: string,
  before: PatroniNodeStatus,
  timeoutMs: number,
  pendingOnly: boolean,
): Promise<RestartedMember> {
  const startTime = before.postmaster_start_time;
  const answer = await rest.restart(pendingOnly ? { restart_pending: true } : {});
  if (answer.status !== 200)
    throw unsafeCallError(instance, `POST /restart (member ${name})`, answer.status, answer.text);
  // POST /restart answers once PostgreSQL is back; wait for Patroni to report it running with a new start time.
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await rest.nodeStatus().catch(() => undefined);
    if (status?.state === 'running' && status.postmaster_start_time !== startTime) {
      return {
        name,
        role: displayRole(status.role),
        restarted: true,
        pendingRestartAfter: status.pending_restart === true,
        detail: answer.text.trim(),
      };
    }
    if (Date.now() > deadline) {
      throw new PgfleetError(
        'PATRONI_RESTART_TIMEOUT',
        `PostgreSQL of member ${name} was not running again within ${Math.round(timeoutMs / 1000)} s after POST /restart`,
        { hint: `see \`pgfleet instance status ${instance.name}\``, exitCode: ExitCode.failed },
      );
    }
    await sleep(500);
  }
}

/**
 * Restarts the Patroni daemon itself (stop, start, wait for readiness): what
 * changed etcd hosts, protocol or certificates need, and what renews a
 * frozen view of the DCS. PostgreSQL stops with it, so a leader hands over
 * to a replica; but when the member sees its cluster paused, Patroni leaves
 * PostgreSQL running and the new Patroni takes it over, so its postmaster is
 * kept (stopping it would leave it down: a paused Patroni does not start it).
 */
export async function restartPatroniDaemon(
  site: InstanceSite,
  instance: ManagedInstance,
  options: { timeoutMs: number; onState?: (state: string) => void },
): Promise<StartedInstance & { postgresqlKept: boolean }> {
  const rest = restClientOf(instance);
  const paused = await rest
    .nodeStatus()
    .then(
      (status) => status.pause === true,
      () => false,
    )
    .finally(() => rest.close());
  const postmasterBefore = paused ? await postmasterHandle(instance.layout.dataDir) : undefined;
  await serviceOf(site, instance).stop({ keepPostmaster: paused });
  const started = await startInstance(site, instance, options);
  return { ...started, postgresqlKept: postmasterKept(postmasterBefore) === true };
}
