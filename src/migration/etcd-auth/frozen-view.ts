import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InstanceLayout } from '../../core/instance/instance-layout.js';
import { type FleetMember, memberId } from '../../core/migration/fleet-member.js';
import type { OsUser } from '../../adapters/process/os-user.js';
import type { LocalInstance } from '../../instance/local-instances.js';
import { postmasterKept, restartPatroniDaemon } from '../../instance/patroni-restart.js';
import { patchViaAnyMember } from './cluster-pause.js';
import { type FleetRestClients, groupByCluster } from './fleet-rest.js';

/** What pgfleet needs to restart a Patroni daemon on this host (from the site settings). */
export interface PatroniDaemonAccess {
  binary: string;
  runAs?: OsUser | undefined;
  layoutOf: (instanceName: string) => InstanceLayout;
}

const MARKER = 'pgfleet_view';

/**
 * Members whose view of the DCS no longer moves. Patroni 3.0.2 can be left
 * so when etcd auth is switched off while its threads re-authenticate (seen
 * on this stack: a leader kept reporting pause=true for 85 s after its
 * cluster was resumed, with every DCS write of its own still working): its
 * watch was cancelled by etcd on a stream etcd keeps open, and no later error
 * makes it open a new one. A marker is written to each cluster's dynamic
 * configuration through whichever member accepts it; a member whose GET
 * /config does not show it within `withinMs` has a frozen view. The marker is
 * removed afterwards.
 */
export async function membersWithFrozenView(members: FleetMember[], rest: FleetRestClients, withinMs = 10_000): Promise<FleetMember[]> {
  const frozen = await Promise.all(
    [...groupByCluster(members).values()].map(async (clusterMembers) => {
      const nonce = randomBytes(4).toString('hex');
      if ((await patchViaAnyMember(clusterMembers, rest, { [MARKER]: nonce })) !== 200) return [];
      try {
        const deadline = Date.now() + withinMs;
        const waiting = new Set(clusterMembers);
        while (waiting.size > 0 && Date.now() < deadline) {
          await Promise.all(
            [...waiting].map(async (member) => {
              // GET /cluster makes Patroni read its watch cache, which GET /config then shows without waiting for its HA loop.
              await rest.for(member).cluster().catch(() => undefined);
              const config = await rest.for(member).dynamicConfig().catch(() => undefined);
              if (config?.[MARKER] === nonce) waiting.delete(member);
            }),
          );
          if (waiting.size > 0) await sleep(200);
        }
        return [...waiting];
      } finally {
        await patchViaAnyMember(clusterMembers, rest, { [MARKER]: null });
      }
    }),
  );
  return frozen.flat();
}

export interface FrozenViewRestart {
  member: string;
  restarted: boolean;
  detail: string;
}

/**
 * Restarts the Patroni daemon of each frozen member managed on this host, so
 * that it reads the DCS afresh, but only while its own view says its
 * cluster is paused: a Patroni that believes it is paused leaves PostgreSQL
 * running when it stops. Any other member is reported, with what to do.
 */
export async function restartFrozenMembers(frozen: FleetMember[], localInstances: LocalInstance[], daemon: PatroniDaemonAccess | undefined, rest: FleetRestClients): Promise<FrozenViewRestart[]> {
  return Promise.all(
    frozen.map(async (member): Promise<FrozenViewRestart> => {
      const id = memberId(member);
      const instance = localInstances.find((candidate) => candidate.scope === member.scope && candidate.namespace === member.namespace && candidate.node === member.name);
      const byHand = `restart its Patroni daemon while its cluster is paused (\`pgfleet instance restart ${instance?.name ?? member.name} --patroni\` on its host)`;
      if (!instance || !daemon) return { member: id, restarted: false, detail: `its view of the DCS is frozen; it is not managed on this host: ${byHand}` };
      const status = await rest.for(member).nodeStatus().catch(() => undefined);
      if (status?.pause !== true) return { member: id, restarted: false, detail: `its view of the DCS is frozen and it does not see its cluster paused, so a restart would stop PostgreSQL: ${byHand}` };
      const layout = daemon.layoutOf(instance.name);
      const dataDir = String((instance.config.postgresql as Record<string, unknown> | undefined)?.data_dir ?? layout.dataDir);
      try {
        const restart = await restartPatroniDaemon(layout, dataDir, { patroniBinary: daemon.binary, runAs: daemon.runAs });
        const back = await answersAgain(member, rest, 60_000);
        const kept = postmasterKept(restart.postmasterBefore) !== false;
        return { member: id, restarted: back, detail: `its view of the DCS was frozen: Patroni restarted${kept ? ', PostgreSQL kept running' : ''}${back ? '' : ', but its REST API did not answer again within 60 s'}` };
      } catch (error) {
        return { member: id, restarted: false, detail: `its view of the DCS is frozen and its Patroni could not be restarted (${error instanceof Error ? error.message : String(error)}): ${byHand}` };
      }
    }),
  );
}

async function answersAgain(member: FleetMember, rest: FleetRestClients, withinMs: number): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const status = await rest.for(member).nodeStatus().catch(() => undefined);
    if (status?.state === 'running') return true;
    await sleep(500);
  }
  return false;
}
