import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError } from '../core/errors.js';
import { type MatrixMismatch, type RestApiProtection, describeCell } from '../core/restapi/probe-matrix.js';
import type { RestClientAccess } from '../core/restapi/rest-client-access.js';
import type { PatroniClusterStatus, PatroniNodeStatus } from '../adapters/patroni/rest-client.js';
import { type RestProbeReport, probeRestApiMatrix } from '../adapters/patroni/rest-probe.js';
import { restClientWithAccess } from '../fleet/member-rest-client.js';

/** What is known of a member before a step changes it. */
export interface MemberBaseline {
  scope: string;
  node: string;
  /** Primary or replica, from GET /patroni. */
  leader: boolean;
  /** The cluster's leader, from GET /cluster. */
  clusterLeader: string | undefined;
  timeline: number | undefined;
}

export interface MemberVerification {
  problems: string[];
  probe: RestProbeReport | undefined;
  /** The peers this member reached, and that reached it, with the credentials of the YAMLs. */
  peersChecked: string[];
}

export interface VerifyOptions {
  /** The member's access from its new YAML: what patronictl and pgfleet now use. */
  access: RestClientAccess;
  /** What the new YAML asks of the REST API. */
  protection: RestApiProtection;
  baseline: MemberBaseline;
  /** Other members of the cluster managed on this host: their access from their own YAML, for the reverse direction. */
  localPeers: ReadonlyArray<{ node: string; access: RestClientAccess }>;
  /** Budget for the reload to take effect and the member to publish its new api_url. */
  timeoutMs: number;
}

/** Reads the member's baseline through the access that works before the step. */
export async function memberBaseline(access: RestClientAccess, scope: string, node: string): Promise<MemberBaseline> {
  const client = restClientWithAccess(access);
  try {
    const status = await client.nodeStatus();
    const cluster = await client.cluster();
    return {
      scope,
      node,
      leader: isLeaderRole(status.role),
      clusterLeader: leaderOf(cluster),
      timeline: status.timeline,
    };
  } finally {
    await client.close();
  }
}

/**
 * Waits until the member's Patroni has processed the reload — it answers
 * through the new access, and its HA loop has run twice since (dcs_last_seen
 * moved on twice: Patroni handles a reload at the top of a loop) — then
 * checks it still works: running, same role and same cluster leader, its
 * api_url in the DCS with the new scheme, its peers reachable with its
 * credentials and it with theirs, and the probe matrix of its new protection.
 */
export async function verifyMemberAfterReload(options: VerifyOptions): Promise<MemberVerification> {
  const deadline = Date.now() + options.timeoutMs;
  const problems: string[] = [];
  const client = restClientWithAccess(options.access, 3_000);
  try {
    const status = await waitForTwoLoops(client, deadline);
    if (!status) {
      return {
        problems: [
          `${options.access.baseUrl} did not answer with the new credentials within ${Math.round(options.timeoutMs / 1000)} s (or its Patroni loop did not run)`,
        ],
        probe: undefined,
        peersChecked: [],
      };
    }
    if (status.state !== 'running') problems.push(`state is ${status.state}, not running`);
    if (isLeaderRole(status.role) !== options.baseline.leader)
      problems.push(
        `role changed: it was ${options.baseline.leader ? 'the leader' : 'a replica'}, it is now ${status.role}`,
      );
    if (
      options.baseline.timeline !== undefined &&
      status.timeline !== undefined &&
      status.timeline !== options.baseline.timeline
    )
      problems.push(`timeline changed from ${options.baseline.timeline} to ${status.timeline}`);

    const cluster = await waitForPublishedUrl(client, options, deadline);
    const self = cluster?.members.find((member) => member.name === options.baseline.node);
    const scheme = new URL(options.access.baseUrl).protocol;
    if (!cluster) problems.push('GET /cluster did not answer');
    else if (!self?.api_url?.startsWith(scheme))
      problems.push(
        `its api_url in the DCS is still ${self?.api_url ?? 'missing'}, not ${scheme}//…: peers and patronictl would call the old address`,
      );
    if (cluster && leaderOf(cluster) !== options.baseline.clusterLeader)
      problems.push(
        `the cluster leader changed from ${options.baseline.clusterLeader ?? 'none'} to ${leaderOf(cluster) ?? 'none'}`,
      );

    const peersChecked = await checkPeers(cluster, options, problems);
    const probe = await probeRestApiMatrix(options.access.baseUrl, options.protection, options.access);
    for (const mismatch of probe.mismatches) problems.push(describeMismatch(mismatch));
    return { problems, probe, peersChecked };
  } finally {
    await client.close();
  }
}

/** Waits until the member answers through the new access and two more HA loops have run. */
async function waitForTwoLoops(
  client: ReturnType<typeof restClientWithAccess>,
  deadline: number,
): Promise<PatroniNodeStatus | undefined> {
  const seen = new Set<number>();
  let last: PatroniNodeStatus | undefined;
  while (Date.now() < deadline) {
    try {
      last = await client.nodeStatus();
      if (typeof last.dcs_last_seen === 'number') seen.add(last.dcs_last_seen);
      // The first value may come from the loop that was running when the reload was asked; two later ones cannot.
      if (seen.size >= 3) return last;
    } catch {
      // Not answering with the new access yet (the socket is being rebuilt).
    }
    await sleep(250);
  }
  return undefined;
}

async function waitForPublishedUrl(
  client: ReturnType<typeof restClientWithAccess>,
  options: VerifyOptions,
  deadline: number,
): Promise<PatroniClusterStatus | undefined> {
  const scheme = new URL(options.access.baseUrl).protocol;
  let cluster: PatroniClusterStatus | undefined;
  do {
    cluster = await client.cluster().catch(() => undefined);
    const self = cluster?.members.find((member) => member.name === options.baseline.node);
    if (self?.api_url?.startsWith(scheme)) return cluster;
    await sleep(500);
  } while (Date.now() < deadline);
  return cluster;
}

/** Each peer with this member's credentials (what its Patroni and patronictl use), and this member with each local peer's. */
async function checkPeers(
  cluster: PatroniClusterStatus | undefined,
  options: VerifyOptions,
  problems: string[],
): Promise<string[]> {
  const checked: string[] = [];
  for (const peer of cluster?.members ?? []) {
    if (peer.name === options.baseline.node || !peer.api_url) continue;
    const peerBase = peer.api_url.replace(/\/patroni\/?$/, '');
    const outward = await reachable({ ...options.access, baseUrl: peerBase });
    if (outward)
      problems.push(`cannot reach peer ${peer.name} (${peerBase}) with this member's credentials: ${outward}`);
    const local = options.localPeers.find((candidate) => candidate.node === peer.name);
    if (local) {
      const inward = await reachable({ ...local.access, baseUrl: options.access.baseUrl });
      if (inward) problems.push(`peer ${peer.name} cannot reach this member with its own credentials: ${inward}`);
    }
    checked.push(peer.name);
  }
  return checked;
}

async function reachable(access: RestClientAccess): Promise<string | undefined> {
  const client = restClientWithAccess(access, 3_000);
  try {
    await client.nodeStatus();
    return undefined;
  } catch (error) {
    return error instanceof PgfleetError ? error.message : String(error);
  } finally {
    await client.close();
  }
}

function describeMismatch(mismatch: MatrixMismatch): string {
  return `probe ${describeCell(mismatch)}: expected ${mismatch.expected}, got ${mismatch.observed}${mismatch.detail ? ` (${mismatch.detail})` : ''} [${mismatch.severity}]`;
}

function isLeaderRole(role: string | undefined): boolean {
  return role === 'master' || role === 'primary' || role === 'leader' || role === 'standby_leader';
}

function leaderOf(cluster: PatroniClusterStatus): string | undefined {
  return cluster.members.find((member) => isLeaderRole(member.role))?.name;
}
