import { randomBytes } from 'node:crypto';
import { type FleetMember, memberId } from '../core/migration/fleet-member.js';
import type { LocalInstance } from '../node/local-instances.js';
import { type PatroniDaemonAccess, postmasterKept } from '../node/patroni-restart.js';
import { restartAndVerify } from './member-restart.js';
import { patchViaAnyMember } from './cluster-pause.js';
import { type FleetRestClients, groupByCluster } from './fleet-rest.js';
import { awaitCachedMarker } from './member-write-probe.js';

const MARKER = 'pgfleet_view';

/**
 * Members whose view of the DCS no longer moves. Patroni 3.0.2 can be left
 * so when etcd auth is switched off while its threads re-authenticate (seen
 * on this stack: a leader kept reporting pause=true for 85 s after its
 * cluster was resumed, with every DCS write of its own still working): its
 * watch was cancelled by etcd on a stream etcd keeps open, and no later error
 * makes it open a new one. A marker is written to each cluster's dynamic
 * configuration through whichever member accepts it; a member whose GET
 * /config does not show it within `withinMs` has a frozen view, unless it
 * does not answer at all (then it is unreachable: nothing is known of its
 * view). The marker is removed afterwards.
 */
export async function membersWithFrozenView(
  members: FleetMember[],
  rest: FleetRestClients,
  withinMs = 10_000,
): Promise<{ frozen: FleetMember[]; unreachable: FleetMember[] }> {
  const views = await Promise.all(
    [...groupByCluster(members).values()].map(async (clusterMembers) => {
      const nonce = randomBytes(4).toString('hex');
      if ((await patchViaAnyMember(clusterMembers, rest, { [MARKER]: nonce })) !== 200) return [];
      try {
        return await Promise.all(
          clusterMembers.map(async (member) => ({ member, view: await viewOf(member, rest, nonce, withinMs) })),
        );
      } finally {
        await patchViaAnyMember(clusterMembers, rest, { [MARKER]: null });
      }
    }),
  );
  const having = (view: 'frozen' | 'unreachable'): FleetMember[] =>
    views.flat().flatMap((entry) => (entry.view === view ? [entry.member] : []));
  return { frozen: having('frozen'), unreachable: having('unreachable') };
}

/** Whether a member's GET /config shows the marker in time, or answers without it (frozen), or does not answer. */
async function viewOf(
  member: FleetMember,
  rest: FleetRestClients,
  nonce: string,
  withinMs: number,
): Promise<'follows' | 'frozen' | 'unreachable'> {
  if (await awaitCachedMarker(member, rest, nonce, withinMs, MARKER)) return 'follows';
  const answers = await rest
    .for(member)
    .dynamicConfig()
    .then(
      () => true,
      () => false,
    );
  return answers ? 'frozen' : 'unreachable';
}

export interface FrozenViewRestart {
  member: string;
  restarted: boolean;
  /** It did not answer its REST API: its view could not be checked (and it was not restarted). */
  unreachable?: boolean | undefined;
  detail: string;
}

/**
 * Finds the members of paused clusters whose view of the DCS froze (see
 * membersWithFrozenView) and restarts the Patroni daemon of each one managed
 * on this host, so that it reads the DCS afresh, but only while its own view
 * says its cluster is paused: a Patroni that believes it is paused leaves
 * PostgreSQL running when it stops. Any other is reported, with what to do.
 */
export async function restartFrozenViews(
  members: FleetMember[],
  localInstances: LocalInstance[],
  daemon: PatroniDaemonAccess | undefined,
  rest: FleetRestClients,
  progress: (message: string) => void,
): Promise<FrozenViewRestart[]> {
  const { frozen, unreachable } = await membersWithFrozenView(members, rest);
  const restarts = await Promise.all(
    frozen.map(async (member): Promise<FrozenViewRestart> => {
      const id = memberId(member);
      const instance = localInstances.find(
        (candidate) =>
          candidate.scope === member.scope &&
          candidate.namespace === member.namespace &&
          candidate.node === member.name,
      );
      const byHand = `restart its Patroni daemon while its cluster is paused (\`pgfleet instance restart ${instance?.name ?? member.name} --patroni\` on its host)`;
      if (!instance || !daemon)
        return {
          member: id,
          restarted: false,
          detail: `its view of the DCS is frozen; it is not managed on this host: ${byHand}`,
        };
      const status = await rest
        .for(member)
        .nodeStatus()
        .catch(() => undefined);
      if (status?.pause !== true)
        return {
          member: id,
          restarted: false,
          detail: `its view of the DCS is frozen and it does not see its cluster paused, so a restart would stop PostgreSQL: ${byHand}`,
        };
      const verified = await restartAndVerify(instance, daemon, rest, 60_000);
      if (!verified.ok)
        return { member: id, restarted: false, detail: `its view of the DCS is frozen; ${verified.reason}: ${byHand}` };
      return {
        member: id,
        restarted: true,
        detail: `its view of the DCS was frozen: Patroni restarted${postmasterKept(verified.postmasterBefore) !== false ? ', PostgreSQL kept running' : ''}`,
      };
    }),
  );
  const unanswered = unreachable.map((member): FrozenViewRestart => ({
    member: memberId(member),
    restarted: false,
    unreachable: true,
    detail: 'does not answer on its REST API: whether its view of the DCS follows could not be checked',
  }));
  for (const restart of [...restarts, ...unanswered]) progress(`${restart.member}: ${restart.detail}`);
  return [...restarts, ...unanswered];
}
