import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError } from '../../core/errors.js';
import { type FleetMember, memberId } from '../../core/migration/fleet-member.js';
import { type FleetRestClients, clusterKey, groupByCluster } from './fleet-rest.js';

/**
 * Pauses clusters (`PATCH /config {"pause": true}`) and waits until every
 * member reports `pause: true`, so no member demotes while the DCS is out of
 * its reach. Returns the clusters it paused; clusters an operator had
 * already paused are left alone (and are not resumed later).
 */
export async function pauseClusters(members: FleetMember[], rest: FleetRestClients, timeoutMs = 30_000): Promise<{ pausedByUs: string[]; alreadyPaused: string[] }> {
  const pausedByUs: string[] = [];
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
      if (answer !== 200) throw new PgfleetError('PAUSE_FAILED', `could not pause cluster ${cluster}: HTTP ${answer}`, { hint: 'check the REST API credentials pgfleet uses (patroni.ctl, restapi.authentication)', exitCode: 4 });
    }),
  );
  const failure = (await pausing).find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (failure) {
    await resumeClusters(pausedByUs, members, rest, timeoutMs).catch(() => undefined);
    throw failure.reason;
  }
  pausedByUs.sort();
  alreadyPaused.sort();
  try {
    await waitForPause(members.filter((member) => pausedByUs.includes(clusterKey(member))), rest, true, timeoutMs);
  } catch (error) {
    // Leave the fleet as it was found: resume what this call paused, then report.
    await resumeClusters(pausedByUs, members, rest, timeoutMs).catch(() => undefined);
    throw error;
  }
  return { pausedByUs, alreadyPaused };
}

/**
 * Resumes clusters (`PATCH /config {"pause": false}`). The DCS holds the
 * answer at once; each member shows it once its watch cache and HA loop
 * catch up. A member still showing pause=true after the timeout is returned
 * (not thrown): the clusters are resumed, that member lags, and the caller
 * says so.
 */
export async function resumeClusters(clusters: string[], members: FleetMember[], rest: FleetRestClients, timeoutMs = 30_000): Promise<{ lagging: string[] }> {
  const grouped = groupByCluster(members);
  await Promise.all(
    clusters.map(async (cluster) => {
      const clusterMembers = grouped.get(cluster) ?? [];
      if (clusterMembers.length === 0) return;
      const answer = await patchViaAnyMember(clusterMembers, rest, { pause: false });
      if (answer !== 200) throw new PgfleetError('RESUME_FAILED', `could not resume cluster ${cluster}: HTTP ${answer}`, { hint: `resume it by hand: patronictl resume ${cluster.split('/').at(-1)}`, exitCode: 4 });
    }),
  );
  try {
    await waitForPause(members.filter((member) => clusters.includes(clusterKey(member))), rest, false, timeoutMs);
    return { lagging: [] };
  } catch (error) {
    if (error instanceof PgfleetError && error.code === 'RESUME_TIMEOUT') return { lagging: (error.details?.pending as string[] | undefined) ?? [] };
    throw error;
  }
}

/** What to tell the operator about members that did not show the resume in time. */
export function describeLaggingResume(lagging: string[]): string {
  return `${lagging.join(', ')} still showed pause=true 30 s after the resume was written to the DCS: the cluster is resumed, but that Patroni has not caught up yet (check its log and \`pgfleet etcd auth status\`)`;
}

/** PATCH /config through the first member that accepts it (leader first). */
async function patchViaAnyMember(members: FleetMember[], rest: FleetRestClients, patch: Record<string, unknown>): Promise<number> {
  const ordered = [...members].sort((a, b) => Number(b.role === 'master' || b.role === 'primary' || b.role === 'leader') - Number(a.role === 'master' || a.role === 'primary' || a.role === 'leader'));
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

async function waitForPause(members: FleetMember[], rest: FleetRestClients, paused: boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const pending = new Set(members);
  while (pending.size > 0) {
    await Promise.all(
      [...pending].map(async (member) => {
        const status = await rest.for(member).nodeStatus().catch(() => undefined);
        if (status && Boolean(status.pause) === paused) pending.delete(member);
      }),
    );
    if (pending.size === 0) return;
    if (Date.now() > deadline) {
      throw new PgfleetError(paused ? 'PAUSE_TIMEOUT' : 'RESUME_TIMEOUT', `${[...pending].map(memberId).join(', ')} did not report pause=${paused} within ${timeoutMs / 1000} s`, { exitCode: 4, details: { pending: [...pending].map(memberId) } });
    }
    await sleep(100);
  }
}
