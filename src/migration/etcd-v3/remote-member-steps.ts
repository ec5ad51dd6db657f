import { setTimeout as sleep } from 'node:timers/promises';
import {
  type HostStepAction,
  type HostStepAnswer,
  type HostStepClaim,
  type HostStepRequest,
  hostStepAnswerKey,
  hostStepClaimKey,
  hostStepRequestKey,
} from '../../core/migration/etcd-v3-host-steps.js';
import type { ClusterMoveRecord, MemberMoveRecord } from '../../core/migration/etcd-v3-run.js';
import type { EtcdClient } from '../../adapters/etcd/etcd-client.js';

/** The run a coordinator writes host-step requests for, and how long it waits for a host. */
export interface HostStepChannel {
  /** The recorded run (state id). */
  run: string;
  /** The run lock holder writing (the migrate run, or a rollback finishing it). */
  writer: string;
  timeoutMs: number;
}

export type HostStepOutcome =
  | { kind: 'answered'; answer: HostStepAnswer }
  /** No host took it by the deadline: the coordinator withdrew it, the member was not touched. */
  | { kind: 'withdrawn' }
  /** A host took it but did not answer in time (it may have changed the member). */
  | { kind: 'no-answer'; host: string | undefined };

/**
 * Writes a host-step request for one member on another host and waits for
 * its answer. At the deadline a request no host took is withdrawn (the claim
 * taken by the coordinator, so a host arriving later leaves the member
 * alone); one a host took gets `graceMs` more to be answered (its Patroni
 * may be restarting).
 */
export async function requestHostStep(
  admin: EtcdClient,
  channel: HostStepChannel,
  record: ClusterMoveRecord,
  member: MemberMoveRecord,
  action: HostStepAction,
  graceMs: number,
): Promise<HostStepOutcome> {
  const request: HostStepRequest = {
    run: channel.run,
    writer: channel.writer,
    cluster: record.cluster,
    namespace: record.namespace,
    scope: record.scope,
    member: member.name,
    action,
    apiUrl: member.apiUrl,
    addedKeys: member.addedKeys,
    requestedAt: new Date().toISOString(),
  };
  const answerKey = hostStepAnswerKey(request);
  const claimKey = hostStepClaimKey(request);
  // Asked again (a later rollback finishing the run): a host's answer already there is this request's answer;
  // a withdrawal left by the earlier attempt is lifted, so that a host may take it now.
  const existing = await readAnswer(admin, answerKey);
  if (existing) return { kind: 'answered', answer: existing };
  if ((await readClaim(admin, claimKey))?.by === 'coordinator') await admin.delete(claimKey);
  await admin.put(hostStepRequestKey(request), JSON.stringify(request));
  const deadline = Date.now() + channel.timeoutMs;
  for (;;) {
    const answer = await readAnswer(admin, answerKey);
    if (answer) return { kind: 'answered', answer };
    if (Date.now() > deadline) break;
    await sleep(500);
  }
  const withdrawal: HostStepClaim = { by: 'coordinator', withdrawn: true, at: new Date().toISOString() };
  const withdrawn = await admin.txn({
    compare: [{ key: claimKey, target: 'createRevision', value: 0 }],
    success: [{ put: { key: claimKey, value: JSON.stringify(withdrawal) } }],
  });
  if (withdrawn.succeeded) return { kind: 'withdrawn' };
  const claim = await readClaim(admin, claimKey);
  const graceDeadline = Date.now() + graceMs;
  for (;;) {
    const answer = await readAnswer(admin, answerKey);
    if (answer) return { kind: 'answered', answer };
    if (Date.now() > graceDeadline) return { kind: 'no-answer', host: claim?.by === 'host' ? claim.host : undefined };
    await sleep(500);
  }
}

async function readAnswer(admin: EtcdClient, key: string): Promise<HostStepAnswer | undefined> {
  const entry = await admin.get(key);
  if (!entry) return undefined;
  try {
    return JSON.parse(entry.value) as HostStepAnswer;
  } catch {
    return undefined;
  }
}

async function readClaim(admin: EtcdClient, key: string): Promise<HostStepClaim | undefined> {
  const entry = await admin.get(key);
  if (!entry) return undefined;
  try {
    return JSON.parse(entry.value) as HostStepClaim;
  } catch {
    return undefined;
  }
}
