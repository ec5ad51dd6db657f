import { setTimeout as sleep } from 'node:timers/promises';
import { PgfleetError, describeError } from '../../core/errors.js';
import type { FleetMember } from '../../core/migration/fleet-member.js';
import type { EtcdClient, EtcdCredentials } from '../../adapters/etcd/etcd-client.js';
import type { FleetRestClients } from '../../fleet/fleet-rest.js';
import { restartAndVerify } from '../../fleet/member-restart.js';
import { probeMemberWrites } from '../../fleet/member-write-probe.js';
import { restartAdoptedPatroni } from '../../node/adopted-patroni-restart.js';
import { postmasterKept } from '../../node/patroni-restart.js';
import { type SectionSwitch, memberSections, switchMemberSection } from './member-section-switch.js';
import type { HostMember, V3MoveFleet } from './v3-move-fleet.js';

/**
 * Moving one member whose YAML is on this host, the one path for it: the
 * coordinator calls it for its own host's members, `etcd v3 migrate
 * --host-only` for the members of the host it runs on.
 */
export interface MemberMoveContext {
  fleet: V3MoveFleet;
  admin: EtcdClient;
  rest: FleetRestClients;
  progress: (message: string) => void;
  /** How long a restarted member has to answer and write. */
  memberTimeoutMs: number;
}

/** The tenant credentials a member's `etcd3:` section needs when v3 auth is on (undefined when it is off). */
export async function v3CredentialsFor(
  ctx: MemberMoveContext,
  namespace: string,
  scope: string,
): Promise<EtcdCredentials | undefined> {
  if (!(await ctx.admin.isAuthEnabled())) return undefined;
  const credentials = await ctx.fleet.tenants.credentialsFor(namespace, scope);
  if (!credentials)
    throw new PgfleetError(
      'V3_NO_CREDENTIALS',
      `etcd v3 auth is on and this host has no tenant credentials for ${namespace}${scope}`,
      {
        exitCode: 3,
      },
    );
  return credentials;
}

/** The member's YAML `etcd:` → `etcd3:` (surgically, its credentials added where v3 auth is on). */
export async function rewriteMemberToV3(
  ctx: MemberMoveContext,
  host: HostMember,
  id: string,
  credentials: EtcdCredentials | undefined,
): Promise<SectionSwitch> {
  const switched = await switchMemberSection(host, 'etcd3', { credentials }).catch((error: unknown) => {
    throw new PgfleetError(
      'V3_MEMBER_FILE_NOT_WRITTEN',
      `${id}: its YAML (${host.instance.configFile}) could not be rewritten: ${describeError(error)}`,
      { exitCode: 3, cause: error },
    );
  });
  ctx.progress(
    `${id}: ${host.instance.configFile}: etcd: → etcd3:${switched.addedKeys.length > 0 ? ' (v3 auth is on: its tenant credentials added)' : ''}`,
  );
  return switched;
}

/**
 * The member's YAML back to `etcd:` (the keys the move added removed), and
 * its Patroni restarted on it while paused when `restart` says it may run on v3.
 */
export async function putMemberBack(
  ctx: MemberMoveContext,
  host: HostMember,
  id: string,
  options: { addedKeys: readonly string[]; restart: boolean },
): Promise<{ switched: boolean }> {
  const sections = await memberSections(host);
  const switched = sections.has('etcd3') && !sections.has('etcd');
  if (switched) {
    await switchMemberSection(host, 'etcd', { removeKeys: options.addedKeys });
    ctx.progress(`${id}: ${host.instance.configFile}: etcd3: → etcd: again`);
  }
  if (options.restart) await restartMember(ctx, host, id, 'v2');
  return { switched };
}

export async function restartMember(
  ctx: MemberMoveContext,
  host: HostMember,
  id: string,
  on: 'v2' | 'v3',
): Promise<void> {
  const daemon = ctx.fleet.patroniDaemon;
  ctx.progress(`${id}: restart Patroni on ${on} (paused: PostgreSQL keeps running)`);
  if (host.adopted) {
    await restartAdoptedMember(ctx, host, id, on);
    return;
  }
  if (!daemon)
    throw new PgfleetError('V3_RESTART_UNAVAILABLE', `${id}: pgfleet cannot restart this Patroni`, { exitCode: 4 });
  const verified = await restartAndVerify(host.instance, daemon, ctx.rest, ctx.memberTimeoutMs);
  if (!verified.ok) throw new PgfleetError('V3_MEMBER_NOT_BACK', `${id}: ${verified.reason}`, { exitCode: 3 });
  const kept = postmasterKept(verified.postmasterBefore);
  ctx.progress(
    `${id}: back on ${on} after ${(verified.backAfterMs / 1000).toFixed(1)} s, writing to the DCS${kept === false ? ' (its PostgreSQL was restarted!)' : kept ? ', PostgreSQL kept running' : ''}`,
  );
}

/**
 * A Patroni pgfleet did not start (adopted): restarted the way its
 * supervisor allows (systemd unit, or its own command line again), only
 * while it sees its cluster paused, then back running and writing to the DCS.
 */
async function restartAdoptedMember(
  ctx: MemberMoveContext,
  host: HostMember,
  id: string,
  on: 'v2' | 'v3',
): Promise<void> {
  const member: FleetMember = {
    namespace: host.instance.namespace,
    scope: host.instance.scope,
    name: host.instance.node,
    apiUrl: undefined,
    role: undefined,
    managedHere: false,
  };
  const rest = ctx.rest.for(member);
  const before = await rest.nodeStatus().catch(() => undefined);
  if (before?.pause !== true)
    throw new PgfleetError(
      'V3_NOT_PAUSED',
      `${id}: it does not see its cluster paused: restarting its Patroni would stop PostgreSQL`,
      {
        exitCode: 3,
      },
    );
  const started = Date.now();
  await restartAdoptedPatroni(host.realConfigFile);
  const deadline = started + ctx.memberTimeoutMs;
  for (;;) {
    const status = await rest.nodeStatus().catch(() => undefined);
    if (status?.state === 'running') break;
    if (Date.now() > deadline)
      throw new PgfleetError(
        'V3_MEMBER_NOT_BACK',
        `${id}: not back within ${Math.round(ctx.memberTimeoutMs / 1000)} s`,
        {
          exitCode: 3,
        },
      );
    await sleep(300);
  }
  const [probe] = await probeMemberWrites([member], ctx.rest);
  if (!probe?.ok)
    throw new PgfleetError(
      'V3_MEMBER_NOT_BACK',
      `${id}: back, but its DCS write probe failed (${probe?.detail ?? 'no answer'})`,
      {
        exitCode: 3,
      },
    );
  const kept = before.postmaster_start_time === (await rest.nodeStatus().catch(() => undefined))?.postmaster_start_time;
  ctx.progress(
    `${id}: back on ${on} after ${((Date.now() - started) / 1000).toFixed(1)} s, writing to the DCS${kept ? ', PostgreSQL kept running' : ' (its PostgreSQL was restarted!)'}`,
  );
}
