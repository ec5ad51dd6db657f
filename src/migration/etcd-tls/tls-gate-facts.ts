import { isPgfleetError } from '../../core/errors.js';
import {
  type EtcdTlsGateInput,
  type FileSetFacts,
  type LocalMemberFacts,
} from '../../core/migration/etcd-tls-gates.js';
import {
  type EtcdTlsTarget,
  discoveryKeyOf,
  isOnEtcdTlsTarget,
  withMemberFiles,
} from '../../core/migration/etcd-tls-target.js';
import { type FleetMember, memberId } from '../../core/migration/fleet-member.js';
import { EtcdClient } from '../../adapters/etcd/etcd-client.js';
import type { EtcdTlsFiles } from '../../adapters/etcd/gateway-transport.js';
import { discoverPatroniMembers } from '../../adapters/etcd/patroni-members.js';
import { readableByUid } from '../../adapters/fs/file-access.js';
import type { PatroniNodeStatus } from '../../adapters/patroni/rest-client.js';
import { type CertificateCheck, checkCertificateFiles, checkValidity } from '../../adapters/pki/certificate-checks.js';
import { isRunning } from '../../adapters/process/daemon.js';
import type { LocalInstance } from '../../node/local-instances.js';
import { readPatroniPid } from '../../node/patroni-process.js';
import { type FleetRestClients, clusterKey } from '../../fleet/fleet-rest.js';
import { type EtcdTlsFleet, etcdEndpointsOf } from './tls-fleet.js';

/** A member pgfleet manages here, with what it will be moved to. */
export interface LocalTlsMember {
  member: FleetMember;
  instance: LocalInstance;
  target: EtcdTlsTarget;
  onTarget: boolean;
}

export interface EtcdTlsFacts {
  members: FleetMember[];
  local: Map<string, LocalTlsMember>;
  statuses: Map<string, PatroniNodeStatus>;
  gate: EtcdTlsGateInput;
}

/** Per-member certificate files, keyed by member id (`/service/alpha/alpha-1`): one client certificate per node, say. */
export type MemberTlsFiles = Record<string, EtcdTlsFiles>;

/** The live facts the gates judge: members from the DCS, their REST APIs, this host's YAMLs and pid files, the files, etcd over https. */
export async function collectEtcdTlsFacts(
  fleet: EtcdTlsFleet,
  client: EtcdClient,
  rest: FleetRestClients,
  memberFiles: MemberTlsFiles = {},
): Promise<EtcdTlsFacts> {
  const instanceOf = (namespace: string, scope: string, name: string) =>
    fleet.localInstances.find(
      (instance) => instance.namespace === namespace && instance.scope === scope && instance.node === name,
    );
  const members = await discoverPatroniMembers(
    client,
    fleet.namespaces,
    (namespace, scope, name) => instanceOf(namespace, scope, name) !== undefined,
  );

  const statuses = new Map<string, PatroniNodeStatus>();
  const unreachable = new Map<string, string>();
  await Promise.all(
    members.map(async (member) => {
      try {
        statuses.set(memberId(member), await rest.for(member).nodeStatus());
      } catch (error) {
        unreachable.set(memberId(member), error instanceof Error ? error.message : String(error));
      }
    }),
  );
  const leaders = new Map<string, string | undefined>();
  for (const member of members) {
    const status = statuses.get(memberId(member));
    if (!leaders.has(clusterKey(member))) leaders.set(clusterKey(member), undefined);
    if (status && (status.role === 'master' || status.role === 'primary') && status.state === 'running')
      leaders.set(clusterKey(member), member.name);
  }

  const local = new Map<string, LocalTlsMember>();
  const localFacts = new Map<string, LocalMemberFacts>();
  for (const member of members) {
    const instance = instanceOf(member.namespace, member.scope, member.name);
    if (!instance) continue;
    const id = memberId(member);
    const target = withMemberFiles(fleet.target, memberFiles[id]);
    const section = (instance.config[instance.dcsSection] ?? {}) as Record<string, unknown>;
    const onTarget = isOnEtcdTlsTarget(section, target);
    const layout = fleet.patroni.layoutOf(instance.name);
    const pid = await readPatroniPid(layout);
    const unreadable: LocalMemberFacts['unreadable'] = [];
    for (const file of [target.cacert, target.cert, target.key]) {
      if (!file) continue;
      const verdict = await readableByUid(file, instance.owner.uid);
      if (!verdict.ok) unreadable.push({ file, reason: verdict.reason });
    }
    local.set(id, { member, instance, target, onTarget });
    localFacts.set(id, {
      patroniRunning: pid !== undefined && isRunning(pid),
      pidFile: layout.pidFile,
      discoveryKey: discoveryKeyOf(section),
      unreadable,
      onTarget,
    });
  }

  const fileSets = await checkFileSets(
    fleet,
    [...local.entries()].filter(([, entry]) => !entry.onTarget).map(([id, entry]) => ({ id, target: entry.target })),
  );
  return { members, local, statuses, gate: { members, unreachable, leaders, local: localFacts, fileSets } };
}

/** Each distinct set of files, checked once: `pgfleet pki` checks, then a v3 call on every https endpoint with it. */
async function checkFileSets(
  fleet: EtcdTlsFleet,
  targets: Array<{ id: string; target: EtcdTlsTarget }>,
): Promise<FileSetFacts[]> {
  const sets = new Map<string, { target: EtcdTlsTarget; members: string[] }>();
  for (const { id, target } of targets) {
    const label = fileSetLabel(target);
    const set = sets.get(label) ?? { target, members: [] };
    set.members.push(id);
    sets.set(label, set);
  }
  const results: FileSetFacts[] = [];
  for (const [label, set] of sets) {
    const problems = await certificateProblems(set.target);
    const endpoints =
      problems.length > 0
        ? []
        : await Promise.all(etcdEndpointsOf(set.target).map((endpoint) => httpsEndpointCheck(endpoint, set.target)));
    results.push({ label, members: set.members, problems, endpoints });
  }
  return results;
}

export function fileSetLabel(files: EtcdTlsFiles): string {
  return [
    `cacert ${files.cacert ?? '(system store)'}`,
    ...(files.cert ? [`cert ${files.cert}`, `key ${files.key ?? '(none)'}`] : []),
  ].join(', ');
}

/**
 * The `pgfleet pki` checks that apply: the CA is valid; the client
 * certificate is valid, matches its key, may be used by a client, and its
 * key is private. Whether etcd trusts the client certificate is for the
 * endpoint check: its CA may differ from the server's.
 */
async function certificateProblems(files: EtcdTlsFiles): Promise<Array<{ message: string; hint: string }>> {
  try {
    const checks: CertificateCheck[] = [];
    if (files.cacert) checks.push(await checkValidity(files.cacert, new Date(), 'ca'));
    if (files.cert)
      checks.push(...(await checkCertificateFiles({ certFile: files.cert, keyFile: files.key, usage: 'clientAuth' })));
    return checks
      .filter((check) => !check.ok)
      .map((check) => ({
        message: check.message,
        hint: check.hint ?? 'issue the certificate again (pgfleet pki issue client ...)',
      }));
  } catch (error) {
    if (!isPgfleetError(error)) throw error;
    return [{ message: error.message, hint: error.hint ?? 'fix the path in the settings' }];
  }
}

/** A v3 call through etcd's JSON gateway, as Patroni makes them: /health alone says nothing about the gateway. */
async function httpsEndpointCheck(
  endpoint: string,
  files: EtcdTlsFiles,
): Promise<{ endpoint: string; ok: boolean; detail: string }> {
  let client: EtcdClient | undefined;
  try {
    client = new EtcdClient({ endpoints: [endpoint], tls: files, timeoutMs: 3_000 });
    const status = await client.status(endpoint);
    return { endpoint, ok: true, detail: `etcd ${status.version}` };
  } catch (error) {
    return { endpoint, ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    await client?.close();
  }
}
