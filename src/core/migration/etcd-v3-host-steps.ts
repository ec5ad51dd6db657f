import { sameRestApi } from './etcd-v3-gates.js';
import { ETCD_V3_MIGRATION_KEY, type EtcdV3RunPhase, isTerminalV3Phase, v3RestartOrder } from './etcd-v3-run.js';

/**
 * A member whose YAML is on another host cannot be rewritten or restarted by
 * the coordinator: the coordinator writes a host-step request for it in etcd
 * (under pgfleet's prefix) and waits; `pgfleet etcd v3 migrate --host-only`
 * on that host carries it out and answers with a record. The requests are
 * written one member at a time, in restart order (the leader first), so a
 * replica arriving on v3 always finds its leader there, whichever host acts.
 */

/** What a host step does to a member: move it to `etcd3:`, or put it back on `etcd:` (a rollback). */
export type HostStepAction = 'move' | 'rollback';

export interface HostStepRequest {
  /** The recorded run (the state's id): its requests live under it. */
  run: string;
  /** The run lock's holder that wrote it: the migrate run itself, or a later rollback (or migrate) finishing it. */
  writer: string;
  /** `<namespace><scope>`. */
  cluster: string;
  namespace: string;
  scope: string;
  member: string;
  action: HostStepAction;
  /** The REST API the member registered (its member key's api_url): how its host recognises it. */
  apiUrl: string | undefined;
  /** Keys the move added under `etcd3:` (a rollback removes them). */
  addedKeys: string[];
  requestedAt: string;
}

export interface HostStepAnswer {
  run: string;
  cluster: string;
  member: string;
  action: HostStepAction;
  /** The host that acted (PGFLEET_HOST_NAME, or its hostname). */
  host: string;
  ok: boolean;
  /** The file rewritten, on that host. */
  configFile?: string | undefined;
  /** Keys the rewrite added under `etcd3:` (credentials where v3 auth is on). */
  addedKeys: string[];
  /** Why it refused or failed, or what it did. */
  detail: string;
  at: string;
}

/** The command an operator runs on a host that must act. */
export const HOST_STEP_COMMAND = 'pgfleet etcd v3 migrate --host-only';

export const HOST_STEPS_PREFIX = `${ETCD_V3_MIGRATION_KEY}/host-steps/`;

/** Where a run's requests and answers live: one key per member and action. */
export function hostStepsOfRun(run: string): string {
  return `${HOST_STEPS_PREFIX}${run}/`;
}

function memberPath(run: string, cluster: string, member: string, action: HostStepAction): string {
  return `${hostStepsOfRun(run)}${cluster.replace(/^\/+/, '').replace(/\/+$/, '')}/${member}/${action}`;
}

export function hostStepRequestKey(request: Pick<HostStepRequest, 'run' | 'cluster' | 'member' | 'action'>): string {
  return `${memberPath(request.run, request.cluster, request.member, request.action)}/request`;
}

export function hostStepAnswerKey(request: Pick<HostStepRequest, 'run' | 'cluster' | 'member' | 'action'>): string {
  return `${memberPath(request.run, request.cluster, request.member, request.action)}/answer`;
}

/**
 * Who took a request: the host that acts on it, or the coordinator that
 * withdrew it at its deadline. Created once (a transaction on its absence),
 * so a host arriving late never acts on a member its coordinator gave up on.
 */
export function hostStepClaimKey(request: Pick<HostStepRequest, 'run' | 'cluster' | 'member' | 'action'>): string {
  return `${memberPath(request.run, request.cluster, request.member, request.action)}/claim`;
}

export type HostStepClaim =
  { by: 'host'; host: string; at: string } | { by: 'coordinator'; withdrawn: true; at: string };

/** Requests, answers and claims of a run, from its keys (anything else under the prefix ignored). */
export function readHostSteps(entries: ReadonlyArray<{ key: string; value: string }>): {
  requests: HostStepRequest[];
  answers: HostStepAnswer[];
  /** The request keys someone took (a host acting, or the coordinator withdrawing it). */
  claimed: string[];
} {
  const requests: HostStepRequest[] = [];
  const answers: HostStepAnswer[] = [];
  const claimed: string[] = [];
  for (const entry of entries) {
    if (entry.key.endsWith('/claim')) {
      claimed.push(`${entry.key.slice(0, -'/claim'.length)}/request`);
      continue;
    }
    let value: unknown;
    try {
      value = JSON.parse(entry.value);
    } catch {
      continue;
    }
    if (!value || typeof value !== 'object') continue;
    if (entry.key.endsWith('/request')) requests.push(value as HostStepRequest);
    else if (entry.key.endsWith('/answer')) answers.push(value as HostStepAnswer);
  }
  return { requests, answers, claimed };
}

/** A member whose YAML is on the host running `--host-only`, as a request names it. */
export interface HostStepMember {
  namespace: string;
  scope: string;
  node: string;
  /** Its REST API as its YAML says (restapi.connect_address). */
  restUrl: string;
}

/**
 * The requests this host must carry out, oldest first: not answered, not
 * taken by anyone, and naming one of its members (same cluster and name, and
 * the REST API the member registered is this member's: a member of the same
 * name on another host is not this one). A request without an API is never
 * this host's: it cannot be told apart.
 */
export function requestsForHost(
  steps: ReturnType<typeof readHostSteps>,
  members: readonly HostStepMember[],
): Array<{ request: HostStepRequest; member: HostStepMember }> {
  const taken = new Set(steps.claimed);
  return unansweredRequests(steps.requests, steps.answers)
    .filter((request) => !taken.has(hostStepRequestKey(request)))
    .flatMap((request) => {
      const member = members.find(
        (candidate) =>
          request.apiUrl !== undefined &&
          candidate.namespace === request.namespace &&
          candidate.scope === request.scope &&
          candidate.node === request.member &&
          candidate.restUrl !== '' &&
          sameRestApi(request.apiUrl, candidate.restUrl),
      );
      return member ? [{ request, member }] : [];
    })
    .sort((a, b) => a.request.requestedAt.localeCompare(b.request.requestedAt));
}

/**
 * What `--host-only` does next, from the recorded run and the run lock:
 * serve the run's requests while an etcd v3 coordinator (migrate, or a
 * rollback finishing a run) holds the lock and its run is open; wait while
 * none has come yet (up to `waitMs`) or one is still planning; stop once the
 * coordinator it saw is gone (its run over).
 */
export type HostStepWatch = { kind: 'serve'; run: string } | { kind: 'wait' } | { kind: 'over' } | { kind: 'no-run' };

export function hostStepWatch(input: {
  run: { id: string; phase: EtcdV3RunPhase } | undefined;
  lockKind: string | undefined;
  /** An etcd v3 coordinator held the lock at some earlier look. */
  sawCoordinator: boolean;
  waitedMs: number;
  waitMs: number;
}): HostStepWatch {
  const coordinating = input.lockKind?.startsWith('etcd-v3-') === true;
  if (coordinating && input.run && !isTerminalV3Phase(input.run.phase)) return { kind: 'serve', run: input.run.id };
  if (coordinating) return { kind: 'wait' };
  if (input.sawCoordinator) return { kind: 'over' };
  return input.waitedMs >= input.waitMs ? { kind: 'no-run' } : { kind: 'wait' };
}

/** The requests still without an answer. */
export function unansweredRequests(
  requests: readonly HostStepRequest[],
  answers: readonly HostStepAnswer[],
): HostStepRequest[] {
  const answered = new Set(answers.map((answer) => hostStepAnswerKey(answer)));
  return requests.filter((request) => !answered.has(hostStepAnswerKey(request)));
}

/** A member of a cluster as the plan sees it: on this host (its YAML found here) or on another one. */
export interface MemberPlacement {
  name: string;
  apiUrl: string | undefined;
  /** Its YAML is on the coordinator's host. */
  local: boolean;
}

/** What the coordinator does for each member, in restart order (the leader first). */
export interface MemberStep {
  member: string;
  apiUrl: string | undefined;
  by: 'coordinator' | 'host-step';
}

export function memberSteps(members: readonly MemberPlacement[], leader: string): MemberStep[] {
  return v3RestartOrder(members, leader).map((member) => ({
    member: member.name,
    apiUrl: member.apiUrl,
    by: member.local ? ('coordinator' as const) : ('host-step' as const),
  }));
}

/** The host a REST URL names (`10.203.0.11` of `http://10.203.0.11:8008/patroni`). */
export function restHostOf(apiUrl: string | undefined): string | undefined {
  if (!apiUrl) return undefined;
  try {
    return new URL(apiUrl).hostname;
  } catch {
    return undefined;
  }
}

/** The hosts that must run the host step for a cluster: one line per member, in the order they act. */
export function hostsToAct(
  cluster: string,
  members: readonly MemberPlacement[],
  leader: string,
): Array<{ cluster: string; member: string; restHost: string | undefined; command: string }> {
  return memberSteps(members, leader)
    .filter((step) => step.by === 'host-step')
    .map((step) => ({ cluster, member: step.member, restHost: restHostOf(step.apiUrl), command: HOST_STEP_COMMAND }));
}

/** One member no host answered for by the deadline. */
export interface MissingHostStep {
  cluster: string;
  member: string;
  action: HostStepAction;
  restHost: string | undefined;
  command: string;
}

/** The refusal's text: each missing member, its host (by its REST address) and the command to run there. */
export function hostsNotReadyMessage(missing: readonly MissingHostStep[], timeoutMs: number): string {
  const seconds = Math.round(timeoutMs / 1000);
  return `no host answered within ${seconds} s for ${missing
    .map(
      (entry) =>
        `${entry.cluster}/${entry.member} (${entry.action === 'move' ? 'move to etcd3' : 'back to etcd'}; its host: the one serving ${entry.restHost ?? 'its REST API'}; run there: ${entry.command})`,
    )
    .join(', ')}`;
}

/** Whether a host step may carry out a request: its run is the recorded one and not over, its writer holds the run lock. */
export function requestLive(
  request: Pick<HostStepRequest, 'run' | 'writer'>,
  lockHolder: { kind: string; runId: string } | undefined,
  run: { id: string; phase: EtcdV3RunPhase } | undefined,
): { live: true } | { live: false; reason: string } {
  if (!run || run.id !== request.run) return { live: false, reason: `run ${request.run} is not the recorded run` };
  if (isTerminalV3Phase(run.phase)) return { live: false, reason: `run ${request.run} is over (${run.phase})` };
  if (!lockHolder || lockHolder.runId !== request.writer || !lockHolder.kind.startsWith('etcd-v3-'))
    return {
      live: false,
      reason: `its writer ${request.writer} does not hold the run lock (${lockHolder ? `${lockHolder.kind} ${lockHolder.runId} does` : 'nobody does'})`,
    };
  return { live: true };
}
