import { setTimeout as sleep } from 'node:timers/promises';
import { ExitCode, PgfleetError } from '../core/errors.js';
import { restAccessFromPatroniConfig } from '../core/restapi/rest-client-access.js';
import type { PatroniClusterStatus } from '../adapters/patroni/rest-client.js';
import type { LocalInstance } from '../node/local-instances.js';
import { restClientWithAccess } from '../fleet/member-rest-client.js';

export interface SwitchoverRequest {
  /** Members managed on this host: one of the cluster gives the credentials, as patronictl's YAML does. */
  instances: readonly LocalInstance[];
  scope: string;
  candidate?: string | undefined;
  /** Until the new leader runs and the old one runs as a replica. */
  timeoutMs?: number | undefined;
}

export interface SwitchoverResult {
  scope: string;
  from: string;
  to: string;
  /** Patroni's answer to POST /switchover. */
  message: string;
  elapsedMs: number;
}

const isLeader = (role: string | undefined) => role === 'leader' || role === 'master' || role === 'primary';

/**
 * A planned switchover, as `patronictl switchover` does it: read the cluster
 * from a member of this host, POST /switchover to the leader with that
 * member's credentials (TLS, client certificate, basic auth from its YAML),
 * then wait until the new leader runs and every other member runs again.
 */
export async function switchoverCluster(request: SwitchoverRequest): Promise<SwitchoverResult> {
  const started = Date.now();
  const local = request.instances.find((instance) => instance.scope === request.scope);
  if (!local) {
    throw new PgfleetError('CLUSTER_NOT_HERE', `no member of cluster ${request.scope} is managed on this host`, {
      hint: `run it on a host of ${request.scope} (pgfleet restapi status lists the members here)`,
    });
  }
  const access = restAccessFromPatroniConfig(local.config);
  const before = await clusterView(access, local.restUrl);
  const leader = before.members.find((member) => isLeader(member.role) && member.state === 'running');
  if (!leader?.api_url) {
    throw new PgfleetError('CLUSTER_NO_LEADER', `cluster ${request.scope} has no running leader to switch over from`, {
      hint: 'wait for the cluster to elect one (a failover, not a switchover, is what a leaderless cluster needs)',
      exitCode: ExitCode.failed,
    });
  }
  if (request.candidate !== undefined) {
    const candidate = before.members.find((member) => member.name === request.candidate);
    if (!candidate)
      throw new PgfleetError(
        'CLUSTER_CANDIDATE_UNKNOWN',
        `cluster ${request.scope} has no member ${request.candidate}`,
        { hint: `members: ${before.members.map((member) => member.name).join(', ')}` },
      );
    if (candidate.name === leader.name)
      throw new PgfleetError(
        'CLUSTER_CANDIDATE_IS_LEADER',
        `${request.candidate} is already the leader of ${request.scope}`,
        { hint: 'name a replica, or leave --candidate out' },
      );
  }
  const timeoutMs = request.timeoutMs ?? 120_000;
  // Patroni answers once the switchover is done (it polls for up to twice loop_wait, at least 20 s).
  const client = restClientWithAccess(
    { ...access, baseUrl: leader.api_url.replace(/\/patroni\/?$/, '') },
    Math.max(timeoutMs, 30_000),
  );
  let answer;
  try {
    answer = await client.switchover(leader.name, request.candidate);
  } finally {
    await client.close();
  }
  if (answer.status !== 200) {
    throw new PgfleetError(
      'CLUSTER_SWITCHOVER_FAILED',
      `switchover of ${request.scope} refused or failed: HTTP ${answer.status} ${answer.text.trim().slice(0, 200)}`,
      {
        hint:
          answer.status === 401 || answer.status === 403
            ? `the credentials of ${local.configFile} are not accepted by the leader: check restapi/ctl there (pgfleet restapi probe)`
            : answer.status === 412
              ? 'no replica is healthy enough yet (one that just rejoined needs a few seconds to stream again): retry once patronictl list shows it running with no lag'
              : "see the leader's Patroni log; pgfleet lab status / patronictl list show the cluster",
        exitCode: ExitCode.failed,
      },
    );
  }
  const after = await waitForNewLeader(
    request.instances.filter((instance) => instance.scope === request.scope),
    leader.name,
    started + timeoutMs,
  );
  return {
    scope: request.scope,
    from: leader.name,
    to: after,
    message: answer.text.trim(),
    elapsedMs: Date.now() - started,
  };
}

async function clusterView(
  access: ReturnType<typeof restAccessFromPatroniConfig>,
  url: string,
): Promise<PatroniClusterStatus> {
  const client = restClientWithAccess({ ...access, baseUrl: url });
  try {
    return await client.cluster();
  } finally {
    await client.close();
  }
}

/** The new leader's name once it runs as leader and every member runs. */
async function waitForNewLeader(
  members: readonly LocalInstance[],
  oldLeader: string,
  deadline: number,
): Promise<string> {
  let last = '';
  while (Date.now() < deadline) {
    for (const member of members) {
      // Each member through its own (possibly new) YAML: after a switchover every member is asked.
      const view = await clusterView(restAccessFromPatroniConfig(member.config), member.restUrl).catch(() => undefined);
      const leader = view?.members.find((candidate) => isLeader(candidate.role) && candidate.state === 'running');
      if (
        view &&
        leader &&
        leader.name !== oldLeader &&
        view.members.every((candidate) => candidate.state === 'running' || candidate.state === 'streaming')
      )
        return leader.name;
      if (view)
        last = view.members.map((candidate) => `${candidate.name} ${candidate.role} ${candidate.state}`).join(', ');
    }
    await sleep(500);
  }
  throw new PgfleetError(
    'CLUSTER_SWITCHOVER_UNFINISHED',
    `the switchover was accepted but the cluster did not settle in time: ${last || 'no member answered'}`,
    {
      hint: 'look again with pgfleet lab status or patronictl list; the old leader may still be rejoining',
      exitCode: ExitCode.failed,
    },
  );
}
