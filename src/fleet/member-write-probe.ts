import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError } from '../core/errors.js';
import {
  ETCD_TOO_SLOW,
  classifyPatchConfig,
  probeAnswerBudgetMs,
  probeWriteSequence,
} from '../core/migration/dcs-write-probe.js';
import type { MemberProbeResult } from '../core/migration/enforce-state.js';
import { type FleetMember, memberId } from '../core/migration/fleet-member.js';
import { type FleetRestClients, groupByCluster } from './fleet-rest.js';
import type { MemberLogReading } from './member-log-refusal.js';

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
   * fails the member at its first 409; a timeout talking to etcd makes a 409
   * a slow answer, tried again within the budget; without either, a 409 may
   * be transient and is tried again a few times.
   */
  refusalFromLog?: ((member: FleetMember) => Promise<MemberLogReading | undefined>) | undefined;
}

export async function probeMemberWrites(
  members: FleetMember[],
  rest: FleetRestClients,
  options: MemberWriteProbeOptions = {},
): Promise<MemberProbeResult[]> {
  // While auth is on and a member cannot write, every second counts: stop probing at the first failure.
  let failed = false;
  const budgetMs = probeAnswerBudgetMs(members.length);
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
        const result = await writeOnce(member, rest, patch, timeoutMs, budgetMs, options.refusalFromLog);
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
  budgetMs: number,
  refusalFromLog: MemberWriteProbeOptions['refusalFromLog'],
): Promise<MemberProbeResult> {
  const id = memberId(member);
  const answer = await patchUntilAnswered(member, rest, patch, timeoutMs, budgetMs, refusalFromLog);
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
        detail: `${ETCD_TOO_SLOW}: the DCS write of ${member.name} (PATCH /config) got no answer for ${budgetMs / 1000} s (each try waited ${Math.round(timeoutMs / 1000)} s), its Patroni waiting on etcd; its credentials were never refused`,
      };
    case 'etcd-slow':
      return {
        member: id,
        ok: false,
        detail: `${ETCD_TOO_SLOW}: for ${budgetMs / 1000} s the DCS write of ${member.name} (PATCH /config) failed while its log showed its etcd requests timing out; its credentials were never refused`,
      };
    default:
      return /^error: HTTP 5\d\d$/.test(verdict)
        ? {
            member: id,
            ok: false,
            detail: `${ETCD_TOO_SLOW}: for ${budgetMs / 1000} s the REST API of ${member.name} answered ${verdict.slice('error: '.length)} to PATCH /config (Patroni could not read or write the DCS in time); its credentials were never refused`,
          }
        : {
            member: id,
            ok: false,
            detail: `its REST API kept answering an error to PATCH /config for ${budgetMs / 1000} s (last: ${verdict.slice('error: '.length)})`,
          };
  }
}

/**
 * A member may keep answering errors, nothing, or 409s while its log shows
 * etcd timing out, for probeAnswerBudgetMs before it counts as failed, and
 * then as etcd too slow, not as refused. Right after auth enable every
 * Patroni authenticates at once, and a starved etcd can take seconds to
 * answer them all (Patroni then fails the PATCH with "Exceeded retry
 * deadline"): that says nothing about the member's credentials, and the
 * clusters are paused, so it is retried. A refusal is an answer: it fails at
 * once.
 */
type WriteVerdict = 'writes' | 'refused' | 'rest-auth' | 'timeout' | 'etcd-slow' | `error: ${string}`;

/** 409s in a row, a few hundred ms apart, before a member without a definite cause in its log counts as refused. */
const MAX_CONFLICTS = 4;

async function patchUntilAnswered(
  member: FleetMember,
  rest: FleetRestClients,
  patch: Record<string, unknown>,
  timeoutMs: number,
  budgetMs: number,
  refusalFromLog: MemberWriteProbeOptions['refusalFromLog'],
): Promise<WriteVerdict | { refused: true; cause: string | undefined }> {
  const deadline = Date.now() + budgetMs;
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
        const reading = await refusalFromLog?.(member).catch(() => undefined);
        if (reading?.refusal) return { refused: true, cause: reading.refusal };
        if (reading?.etcdSlow) {
          // etcd timed out under it: a slow answer, waited for within the budget, never counted as a refusal.
          if (Date.now() + 500 > deadline) return 'etcd-slow';
          await sleep(500);
          continue;
        }
        conflicts += 1;
        if (conflicts >= MAX_CONFLICTS) return { refused: true, cause: undefined };
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
