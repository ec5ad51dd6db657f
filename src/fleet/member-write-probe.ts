import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError } from '../core/errors.js';
import { classifyPatchConfig, probeWriteSequence } from '../core/migration/dcs-write-probe.js';
import type { MemberProbeResult } from '../core/migration/enforce-state.js';
import { type FleetMember, memberId } from '../core/migration/fleet-member.js';
import { type FleetRestClients, groupByCluster } from './fleet-rest.js';

/** Patroni's default; a PATCH /config may wait this long on etcd before it answers. */
const DEFAULT_RETRY_TIMEOUT_S = 10;

/**
 * Makes every member write to the DCS with its own credentials (PATCH
 * /config with a marker: see probeWriteSequence). Members of one cluster go
 * one after the other (they share the config key); clusters go in parallel.
 */
export interface MemberWriteProbeOptions {
  stopAtFirstFailure?: boolean | undefined;
  /**
   * What the member's own log says since the probes began, when pgfleet can
   * read it (members managed on this host): a refusal it names beyond doubt
   * fails the member at its first 409; without one, a 409 may be transient
   * and is tried again a few times.
   */
  refusalFromLog?: ((member: FleetMember) => Promise<string | undefined>) | undefined;
}

export async function probeMemberWrites(
  members: FleetMember[],
  rest: FleetRestClients,
  options: MemberWriteProbeOptions = {},
): Promise<MemberProbeResult[]> {
  // While auth is on and a member cannot write, every second counts: stop probing at the first failure.
  let failed = false;
  const perCluster = await Promise.all(
    [...groupByCluster(members).values()].map(async (clusterMembers) => {
      const results = new Map<FleetMember, MemberProbeResult>();
      const timeoutMs = await probeTimeoutMs(clusterMembers, rest);
      let previous: { member: FleetMember; value: unknown } | undefined;
      for (const { member, patch, proves } of probeWriteSequence(clusterMembers, randomBytes(4).toString('hex'))) {
        if (!proves) {
          // Cleanup: the marker removed by a member whose view shows the last write; its answer proves nothing.
          if (results.get(member)?.ok !== true || (failed && options.stopAtFirstFailure)) continue;
          if (previous) await awaitCachedMarker(member, rest, previous.value);
          await rest
            .for(member, timeoutMs)
            .patchConfig(patch)
            .catch(() => undefined);
          continue;
        }
        if (results.get(member)?.ok === false) continue;
        if (failed && options.stopAtFirstFailure) {
          results.set(member, {
            member: memberId(member),
            ok: false,
            detail: 'not probed: another member failed first',
          });
          continue;
        }
        if (previous && previous.member !== member) await awaitCachedMarker(member, rest, previous.value);
        const result = await writeOnce(member, rest, patch, timeoutMs, options.refusalFromLog);
        if (!result.ok) failed = true;
        results.set(member, result);
        previous = { member, value: patch.pgfleet_probe };
      }
      return clusterMembers.map((member) => results.get(member)!);
    }),
  );
  return perCluster.flat();
}

/**
 * PATCH /config is a compare-and-set against the member's own watch cache:
 * if that cache has not yet seen the previous member's write, the answer is
 * a 409 that says nothing about credentials. So before the next member
 * writes, wait (briefly) until its cache shows the previous write: GET
 * /cluster refreshes what GET /config shows from that cache. A member
 * without credentials still receives watch events, so this converges for
 * it too, and its 409 that follows is a real refusal.
 */
export async function awaitCachedMarker(
  member: FleetMember,
  rest: FleetRestClients,
  expected: unknown,
  timeoutMs = 2_000,
  key = 'pgfleet_probe',
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await rest.for(member).cluster();
      const config = await rest.for(member).dynamicConfig();
      if ((config[key] ?? null) === (expected ?? null)) return true;
    } catch {
      // Busy or not answering: the write itself will tell.
    }
    await sleep(50);
  }
  return false;
}

/** A PATCH /config may legitimately take Patroni's retry_timeout (it retries etcd that long): wait a little more than that. */
async function probeTimeoutMs(members: FleetMember[], rest: FleetRestClients): Promise<number> {
  for (const member of members) {
    const config = await rest
      .for(member)
      .dynamicConfig()
      .catch(() => undefined);
    const retryTimeout = Number(config?.retry_timeout);
    if (Number.isFinite(retryTimeout) && retryTimeout > 0) return (retryTimeout + 2) * 1000;
  }
  return (DEFAULT_RETRY_TIMEOUT_S + 2) * 1000;
}

async function writeOnce(
  member: FleetMember,
  rest: FleetRestClients,
  patch: Record<string, unknown>,
  timeoutMs: number,
  refusalFromLog: MemberWriteProbeOptions['refusalFromLog'],
): Promise<MemberProbeResult> {
  const id = memberId(member);
  const answer = await patchUntilAnswered(member, rest, patch, timeoutMs, refusalFromLog);
  const verdict = typeof answer === 'string' ? answer : 'refused';
  switch (verdict) {
    case 'writes':
      return { member: id, ok: true, detail: 'wrote to the DCS with its own credentials' };
    case 'refused':
      return {
        member: id,
        ok: false,
        detail:
          typeof answer === 'object' && answer.cause
            ? `${answer.cause}; its DCS write (PATCH /config) was refused (HTTP 409)`
            : `its DCS write (PATCH /config) was refused (HTTP 409) ${MAX_CONFLICTS} times: Patroni on ${member.name} cannot write to etcd with its credentials`,
      };
    case 'rest-auth':
      return {
        member: id,
        ok: false,
        detail: 'the REST API refused pgfleet (401/403): the DCS write could not be tried',
      };
    case 'timeout':
      return {
        member: id,
        ok: false,
        detail: `its DCS write (PATCH /config) got no answer for ${UNANSWERED_BUDGET_MS / 1000} s (each try waited ${Math.round(timeoutMs / 1000)} s): Patroni on ${member.name} is stuck talking to etcd`,
      };
    default:
      return {
        member: id,
        ok: false,
        detail: `its REST API kept answering an error to PATCH /config for ${UNANSWERED_BUDGET_MS / 1000} s (last: ${verdict.slice('error: '.length)})`,
      };
  }
}

type WriteVerdict = 'writes' | 'refused' | 'rest-auth' | 'timeout' | `error: ${string}`;

/**
 * How long a member may keep answering errors or nothing before it counts as
 * failed. Right after auth enable every Patroni authenticates at once, and a
 * starved etcd can take seconds to answer them all (Patroni then fails the
 * PATCH with "Exceeded retry deadline"): that says nothing about the
 * member's credentials, and the clusters are paused, so it is retried. A
 * refusal (409) is an answer: it fails at once.
 */
const UNANSWERED_BUDGET_MS = 20_000;

/** 409s in a row, a few hundred ms apart, before a member without a definite cause in its log counts as refused. */
const MAX_CONFLICTS = 4;

async function patchUntilAnswered(
  member: FleetMember,
  rest: FleetRestClients,
  patch: Record<string, unknown>,
  timeoutMs: number,
  refusalFromLog: MemberWriteProbeOptions['refusalFromLog'],
): Promise<WriteVerdict | { refused: true; cause: string | undefined }> {
  const deadline = Date.now() + UNANSWERED_BUDGET_MS;
  let conflicts = 0;
  for (;;) {
    let verdict: WriteVerdict;
    try {
      const status = (await rest.for(member, timeoutMs).patchConfig(patch)).status;
      const classified = classifyPatchConfig(status);
      if (classified === 'writes' || classified === 'rest-auth') return classified;
      if (classified === 'conflict') {
        // 409 is also what Patroni answers for any etcd error during the write (a genuine
        // compare-and-set conflict, a timeout while every member authenticates at once):
        // a refusal the member's log names ends it now; otherwise, again after a beat.
        const cause = await refusalFromLog?.(member).catch(() => undefined);
        conflicts += 1;
        if (cause || conflicts >= MAX_CONFLICTS) return { refused: true, cause };
        await sleep(300 * conflicts);
        continue;
      }
      verdict = `error: HTTP ${status}`;
    } catch (error) {
      const message = error instanceof PgfleetError ? error.message : String(error);
      verdict = /timeout/i.test(message) ? 'timeout' : `error: ${message}`;
    }
    if (Date.now() + 500 > deadline) return verdict;
    await sleep(500);
  }
}
