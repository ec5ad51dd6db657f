import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { classifyPatchConfig, probeMarkerPatch } from '../../core/migration/dcs-write-probe.js';
import type { MemberProbeResult } from '../../core/migration/enforce-state.js';
import { type FleetMember, memberId } from '../../core/migration/fleet-member.js';
import { type FleetRestClients, groupByCluster } from './fleet-rest.js';

/**
 * Makes every member write to the DCS with its own credentials (PATCH /config
 * with a marker, then its removal). Members of one cluster go one after the
 * other (they share the config key); clusters go in parallel.
 */
export async function probeMemberWrites(members: FleetMember[], rest: FleetRestClients, options: { stopAtFirstFailure?: boolean } = {}): Promise<MemberProbeResult[]> {
  // While auth is on and a member cannot write, every second counts: stop probing at the first failure.
  let failed = false;
  const perCluster = await Promise.all(
    [...groupByCluster(members).values()].map(async (clusterMembers) => {
      const results: MemberProbeResult[] = [];
      for (const member of clusterMembers) {
        if (failed && options.stopAtFirstFailure) {
          results.push({ member: memberId(member), ok: false, detail: 'not probed: another member failed first' });
          continue;
        }
        const result = await probeOne(member, rest);
        if (!result.ok) failed = true;
        results.push(result);
      }
      return results;
    }),
  );
  return perCluster.flat();
}

async function probeOne(member: FleetMember, rest: FleetRestClients): Promise<MemberProbeResult> {
  const id = memberId(member);
  const marker = probeMarkerPatch(`${member.name}-${randomBytes(4).toString('hex')}`);
  for (const [step, patch] of [['set', marker.set], ['clear', marker.clear]] as const) {
    const verdict = await patchWithOneRetry(member, rest, patch);
    if (verdict !== 'writes') {
      const detail =
        verdict === 'refused'
          ? `its DCS write (PATCH /config) was refused twice (HTTP 409): Patroni on ${member.name} cannot write to etcd with its credentials`
          : verdict === 'rest-auth'
            ? 'the REST API refused pgfleet (401/403): the DCS write could not be tried'
            : `the REST API answered an error during the ${step} step`;
      return { member: id, ok: false, detail };
    }
  }
  return { member: id, ok: true, detail: 'wrote to the DCS with its own credentials' };
}

async function patchWithOneRetry(member: FleetMember, rest: FleetRestClients, patch: Record<string, unknown>): Promise<'writes' | 'refused' | 'rest-auth' | 'error'> {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    let status: number;
    try {
      status = (await rest.for(member).patchConfig(patch)).status;
    } catch {
      return 'error';
    }
    const verdict = classifyPatchConfig(status);
    if (verdict !== 'conflict') return verdict;
    // 409 is also a genuine compare-and-set conflict: once more after a beat.
    await sleep(300);
  }
  return 'refused';
}
