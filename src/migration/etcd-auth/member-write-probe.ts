import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError } from '../../core/errors.js';
import { classifyPatchConfig, probeWriteSequence } from '../../core/migration/dcs-write-probe.js';
import type { MemberProbeResult } from '../../core/migration/enforce-state.js';
import { type FleetMember, memberId } from '../../core/migration/fleet-member.js';
import { type FleetRestClients, groupByCluster } from './fleet-rest.js';

/** Patroni's default; a PATCH /config may wait this long on etcd before it answers. */
const DEFAULT_RETRY_TIMEOUT_S = 10;

/**
 * Makes every member write to the DCS with its own credentials (PATCH
 * /config with a marker: see probeWriteSequence). Members of one cluster go
 * one after the other (they share the config key); clusters go in parallel.
 */
export async function probeMemberWrites(members: FleetMember[], rest: FleetRestClients, options: { stopAtFirstFailure?: boolean } = {}): Promise<MemberProbeResult[]> {
  // While auth is on and a member cannot write, every second counts: stop probing at the first failure.
  let failed = false;
  const perCluster = await Promise.all(
    [...groupByCluster(members).values()].map(async (clusterMembers) => {
      const results = new Map<FleetMember, MemberProbeResult>();
      const timeoutMs = await probeTimeoutMs(clusterMembers, rest);
      for (const { member, patch } of probeWriteSequence(clusterMembers, randomBytes(4).toString('hex'))) {
        if (results.get(member)?.ok === false) continue;
        if (failed && options.stopAtFirstFailure) {
          results.set(member, { member: memberId(member), ok: false, detail: 'not probed: another member failed first' });
          continue;
        }
        const result = await writeOnce(member, rest, patch, timeoutMs);
        if (!result.ok) failed = true;
        results.set(member, result);
      }
      return clusterMembers.map((member) => results.get(member)!);
    }),
  );
  return perCluster.flat();
}

/** A PATCH /config may legitimately take Patroni's retry_timeout (it retries etcd that long): wait a little more than that. */
async function probeTimeoutMs(members: FleetMember[], rest: FleetRestClients): Promise<number> {
  for (const member of members) {
    const config = await rest.for(member).dynamicConfig().catch(() => undefined);
    const retryTimeout = Number(config?.retry_timeout);
    if (Number.isFinite(retryTimeout) && retryTimeout > 0) return (retryTimeout + 2) * 1000;
  }
  return (DEFAULT_RETRY_TIMEOUT_S + 2) * 1000;
}

async function writeOnce(member: FleetMember, rest: FleetRestClients, patch: Record<string, unknown>, timeoutMs: number): Promise<MemberProbeResult> {
  const id = memberId(member);
  const verdict = await patchWithOneRetry(member, rest, patch, timeoutMs);
  switch (verdict) {
    case 'writes':
      return { member: id, ok: true, detail: 'wrote to the DCS with its own credentials' };
    case 'refused':
      return { member: id, ok: false, detail: `its DCS write (PATCH /config) was refused twice (HTTP 409): Patroni on ${member.name} cannot write to etcd with its credentials` };
    case 'rest-auth':
      return { member: id, ok: false, detail: 'the REST API refused pgfleet (401/403): the DCS write could not be tried' };
    case 'timeout':
      return { member: id, ok: false, detail: `its DCS write (PATCH /config) got no answer within ${Math.round(timeoutMs / 1000)} s: Patroni on ${member.name} is stuck talking to etcd` };
    default:
      return { member: id, ok: false, detail: `its REST API answered an error to PATCH /config (${verdict.slice('error: '.length)})` };
  }
}

type WriteVerdict = 'writes' | 'refused' | 'rest-auth' | 'timeout' | `error: ${string}`;

async function patchWithOneRetry(member: FleetMember, rest: FleetRestClients, patch: Record<string, unknown>, timeoutMs: number): Promise<WriteVerdict> {
  for (let attempt = 0; attempt < 2; attempt += 1) {
    let status: number;
    try {
      status = (await rest.for(member, timeoutMs).patchConfig(patch)).status;
    } catch (error) {
      const message = error instanceof PgfleetError ? error.message : String(error);
      return /timeout/i.test(message) ? 'timeout' : `error: ${message}`;
    }
    const verdict = classifyPatchConfig(status);
    if (verdict === 'writes' || verdict === 'rest-auth') return verdict;
    if (verdict === 'error') return `error: HTTP ${status}`;
    // 409 is also a genuine compare-and-set conflict: once more after a beat.
    await sleep(300);
  }
  return 'refused';
}
