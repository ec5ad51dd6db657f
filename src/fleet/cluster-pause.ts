import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError } from '../core/errors.js';
import { type FleetMember, memberId } from '../core/migration/fleet-member.js';
import type { PatroniNodeStatus } from '../adapters/patroni/rest-client.js';
import { type FleetRestClients, clusterKey, groupByCluster } from './fleet-rest.js';

export interface PauseWaitOptions {
  /** How long every member has to show the new pause state (default 30 s). */
  timeoutMs?: number | undefined;
  /** Told when members still showing the old state are nudged (see nudgeOldView). */
  onNudge?: ((message: string) => void) | undefined;
  /**
   * Aborted when the run lost its run lock: the wait stops at once with the
   * signal's reason, and nothing is undone (resuming what this call paused
   * would undo the work of the run that took over).
   */
  signal?: AbortSignal | undefined;
}

/**
 * Pauses clusters (`PATCH /config {"pause": true}`) and waits until every
 * member reports `pause: true`, so no member demotes while the DCS is out of
 * its reach. Returns the clusters it paused; clusters an operator had
 * already paused are left alone (and are not resumed later).
 */
export async function pauseClusters(
  members: FleetMember[],
  rest: FleetRestClients,
  options: PauseWaitOptions = {},
): Promise<{ pausedByUs: string[]; alreadyPaused: string[]; pausedAt: Map<string, number> }> {
  const pausedByUs: string[] = [];
  const pausedAt = new Map<string, number>();
  const alreadyPaused: string[] = [];
  // Clusters are independent: pause them all at once, so the whole fleet is paused in about the time of one.
  const pausing = Promise.allSettled(
    [...groupByCluster(members)].map(async ([cluster, clusterMembers]) => {
      const statuses = await Promise.all(clusterMembers.map((member) => rest.for(member).nodeStatus()));
      if (statuses.every((status) => status.pause === true)) {
        alreadyPaused.push(cluster);
        return;
      }
      const answer = await patchViaAnyMember(clusterMembers, rest, { pause: true });
      // Recorded even when the answer is unclear, so a rollback resumes it.
      pausedByUs.push(cluster);
      pausedAt.set(cluster, Date.now());
      if (answer !== 200)
        throw new PgfleetError('PAUSE_FAILED', `could not pause cluster ${cluster}: HTTP ${answer}`, {
          hint: 'check the REST API credentials pgfleet uses (patroni.ctl, restapi.authentication)',
          exitCode: 4,
        });
    }),
  );
  const failure = (await pausing).find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) {
    options.signal?.throwIfAborted();
    await resumeClusters(pausedByUs, members, rest, options).catch(() => undefined);
    throw failure.reason;
  }
  pausedByUs.sort();
  alreadyPaused.sort();
  try {
    await waitForPause(
      members.filter((member) => pausedByUs.includes(clusterKey(member))),
      rest,
      true,
      options,
    );
  } catch (error) {
    options.signal?.throwIfAborted();
    // Leave the fleet as it was found: resume what this call paused, then report.
    await resumeClusters(pausedByUs, members, rest, options).catch(() => undefined);
    throw error;
  }
  return { pausedByUs, alreadyPaused, pausedAt };
}

/**
 * Resumes clusters (`PATCH /config {"pause": false}`). The DCS holds the
 * answer at once; each member shows it once its watch cache and HA loop
 * catch up. A member still showing pause=true after the timeout is returned
 * (not thrown): the clusters are resumed, that member lags, and the caller
 * says so.
 */
export async function resumeClusters(
  clusters: string[],
  members: FleetMember[],
  rest: FleetRestClients,
  options: PauseWaitOptions = {},
): Promise<{ lagging: string[]; resumedAt: Map<string, number> }> {
  const grouped = groupByCluster(members);
  const resumedAt = new Map<string, number>();
  await Promise.all(
    clusters.map(async (cluster) => {
      const clusterMembers = grouped.get(cluster) ?? [];
      if (clusterMembers.length === 0) return;
      const answer = await patchViaAnyMember(clusterMembers, rest, { pause: false });
      resumedAt.set(cluster, Date.now());
      if (answer !== 200)
        throw new PgfleetError('RESUME_FAILED', `could not resume cluster ${cluster}: HTTP ${answer}`, {
          hint: `resume it by hand: patronictl resume ${cluster.split('/').at(-1)}`,
          exitCode: 4,
        });
    }),
  );
  try {
    await waitForPause(
      members.filter((member) => clusters.includes(clusterKey(member))),
      rest,
      false,
      options,
    );
    return { lagging: [], resumedAt };
  } catch (error) {
    if (error instanceof PgfleetError && error.code === 'RESUME_TIMEOUT')
      return { lagging: (error.details?.pending as string[] | undefined) ?? [], resumedAt };
    throw error;
  }
}

/** What to tell the operator about members that did not show the resume in time. */
export function describeLaggingResume(lagging: string[]): string {
  return `${lagging.join(', ')} still showed pause=true 30 s after the resume was written to the DCS: the cluster is resumed, but that Patroni has not caught up yet (check its log and \`pgfleet etcd auth status\`)`;
}

/** PATCH /config through the first member that accepts it (leader first). */
export async function patchViaAnyMember(
  members: FleetMember[],
  rest: FleetRestClients,
  patch: Record<string, unknown>,
): Promise<number> {
  const ordered = [...members].sort(
    (a, b) =>
      Number(b.role === 'master' || b.role === 'primary' || b.role === 'leader') -
      Number(a.role === 'master' || a.role === 'primary' || a.role === 'leader'),
  );
  let last = 0;
  for (const member of ordered) {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      try {
        last = (await rest.for(member).patchConfig(patch)).status;
      } catch {
        last = 0;
      }
      if (last === 200) return last;
      if (last !== 409) break;
      await sleep(200);
    }
  }
  return last;
}

/**
 * How long a member may show the old pause state before pgfleet nudges it.
 * Less than one HA loop at the default loop_wait of 10 s, which is fine: a
 * nudge to a member that is merely slow changes nothing and wakes its HA loop.
 */
export const NUDGE_AFTER_MS = 8_000;

async function waitForPause(
  members: FleetMember[],
  rest: FleetRestClients,
  paused: boolean,
  options: PauseWaitOptions,
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(members);
  // What each pending member last answered: the error says whether it was unreachable or answered with an old view.
  const lastAnswer = new Map<FleetMember, string>();
  const nudges = new Map<FleetMember, number>();
  let nextNudge = Date.now() + NUDGE_AFTER_MS;
  while (pending.size > 0) {
    options.signal?.throwIfAborted();
    const oldView: FleetMember[] = [];
    await Promise.all(
      [...pending].map(async (member) => {
        const asked = Date.now();
        try {
          const status = await rest.for(member).nodeStatus();
          if (Boolean(status.pause) === paused) pending.delete(member);
          else {
            oldView.push(member);
            lastAnswer.set(member, describeStaleAnswer(status, asked));
          }
        } catch (error) {
          lastAnswer.set(
            member,
            `no answer from its REST API: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
      }),
    );
    if (pending.size === 0) return;
    options.signal?.throwIfAborted();
    if (Date.now() > deadline) {
      const named = [...pending].map(
        (member) =>
          `${memberId(member)} (${lastAnswer.get(member) ?? 'not asked'}${nudges.has(member) ? `; nudged ${nudges.get(member)} time(s)` : ''})`,
      );
      throw new PgfleetError(
        paused ? 'PAUSE_TIMEOUT' : 'RESUME_TIMEOUT',
        `${named.join(', ')} did not report pause=${paused} within ${timeoutMs / 1000} s`,
        {
          exitCode: 4,
          hint: 'a member that answers with an old view is not reading the DCS: check its Patroni log (a restart of that Patroni renews its watch); one that does not answer is down or unreachable',
          details: {
            pending: [...pending].map(memberId),
            lastAnswers: Object.fromEntries([...pending].map((member) => [memberId(member), lastAnswer.get(member)])),
          },
        },
      );
    }
    if (Date.now() >= nextNudge && oldView.length > 0) {
      options.onNudge?.(
        `${oldView.map(memberId).join(', ')} still show${oldView.length === 1 ? 's' : ''} pause=${!paused}: nudged with PATCH /config {"pause": ${paused}} through ${oldView.length === 1 ? 'its' : 'their'} own REST API (renews a watch etcd cancelled)`,
      );
      await Promise.all(
        oldView.map((member) =>
          nudgeOldView(member, rest, paused).then(() => nudges.set(member, (nudges.get(member) ?? 0) + 1)),
        ),
      );
      nextNudge = Date.now() + NUDGE_AFTER_MS;
    }
    await sleep(100);
  }
}

/**
 * A member that keeps answering with an old view may read a watch that etcd
 * cancelled but left open. Patroni 3.0.2 opens its watch with the token it
 * holds; when etcd auth was switched off between Patroni's read and its
 * watch, etcd answers that watch "created, canceled: invalid auth token" on
 * a stream it keeps open, and Patroni waits on it for ever, serving GET
 * /patroni from what it read before. Its next DCS write with that token
 * fails "invalid auth token", which makes it re-authenticate and open a new
 * watch. `PATCH /config` through that member's own REST API is such a write,
 * and the patch is the one wanted anyway: against an up-to-date view it
 * changes nothing, against an old one compare-and-set refuses it (409).
 */
async function nudgeOldView(member: FleetMember, rest: FleetRestClients, paused: boolean): Promise<void> {
  await rest
    .for(member)
    .patchConfig({ pause: paused })
    .catch(() => undefined);
}

/** A member's GET /patroni that does not show the pause state yet: its state, role and how old its DCS view is. */
export function describeStaleAnswer(
  status: Pick<PatroniNodeStatus, 'state' | 'role' | 'pause' | 'dcs_last_seen'>,
  askedAtMs: number,
): string {
  const seen =
    status.dcs_last_seen === undefined
      ? 'dcs_last_seen not reported'
      : `DCS last seen ${Math.max(0, Math.round(askedAtMs / 1000 - status.dcs_last_seen))} s before`;
  return `answered pause=${Boolean(status.pause)}, ${status.role} ${status.state}, ${seen}`;
}
