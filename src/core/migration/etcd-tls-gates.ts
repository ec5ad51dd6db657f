import { type FleetMember, memberId } from './fleet-member.js';

/**
 * The gates `etcd tls migrate` must pass before it pauses anything: every
 * member answers, every cluster has its leader, pgfleet can restart the
 * Patroni of each member it moves, every certificate file is valid and
 * readable by the Patroni user, and etcd answers on every https endpoint
 * with the files each member will be given.
 */
export type EtcdTlsGate =
  | 'no-members'
  | 'reachability'
  | 'leader'
  | 'patroni-control'
  | 'dcs-discovery'
  | 'certificates'
  | 'file-access'
  | 'https-endpoint';

export interface EtcdTlsGateFailure {
  gate: EtcdTlsGate;
  /** The member, cluster, file or endpoint concerned. */
  subject: string;
  message: string;
  hint: string;
}

/** What pgfleet knows of a member whose YAML it manages on this host. */
export interface LocalMemberFacts {
  /** pgfleet's pid file names a running Patroni. */
  patroniRunning: boolean;
  pidFile: string;
  /** A discovery key (srv, proxy...) used instead of hosts. */
  discoveryKey?: string | undefined;
  /** Target files the Patroni user cannot read, with the reason. */
  unreadable: Array<{ file: string; reason: string }>;
  /** Already on the target: nothing to restart. */
  onTarget: boolean;
}

/** One certificate file set (cacert, cert, key) as the members given it will use it. */
export interface FileSetFacts {
  label: string;
  members: string[];
  /** Failed `pgfleet pki` checks (or why no check could run: a missing file). */
  problems: Array<{ message: string; hint: string }>;
  /** Per https endpoint: did a v3 call through etcd's gateway work with these files. */
  endpoints: Array<{ endpoint: string; ok: boolean; detail: string }>;
}

export interface EtcdTlsGateInput {
  members: FleetMember[];
  unreachable: Map<string, string>;
  /** Running leader of each cluster (`<namespace><scope>`), from the members' REST APIs. */
  leaders: Map<string, string | undefined>;
  local: Map<string, LocalMemberFacts>;
  fileSets: FileSetFacts[];
}

export function evaluateEtcdTlsGates(input: EtcdTlsGateInput): EtcdTlsGateFailure[] {
  const failures: EtcdTlsGateFailure[] = [];
  if (input.members.length === 0) {
    failures.push({
      gate: 'no-members',
      subject: 'fleet',
      message: 'no Patroni member found in the DCS',
      hint: 'check patroni.etcd.namespace and tenancy.namespaces in the settings',
    });
  }
  const toMove = input.members.filter((member) => {
    const facts = input.local.get(memberId(member));
    return facts !== undefined && !facts.onTarget;
  });
  const touchedClusters = new Set(toMove.map((member) => `${member.namespace}${member.scope}`));
  for (const member of input.members) {
    const id = memberId(member);
    const reason = input.unreachable.get(id);
    if (reason !== undefined) {
      failures.push({
        gate: 'reachability',
        subject: id,
        message: `member ${id} is unreachable: ${reason}`,
        hint: 'every member must answer on its REST API so its cluster can be paused and checked; bring it back first',
      });
    }
  }
  for (const cluster of touchedClusters) {
    if (!input.leaders.get(cluster)) {
      failures.push({
        gate: 'leader',
        subject: cluster,
        message: `cluster ${cluster} has no running leader`,
        hint: 'restarting Patroni daemons is for a healthy cluster: fix the cluster first (patronictl list)',
      });
    }
  }
  for (const member of toMove) {
    const id = memberId(member);
    const facts = input.local.get(id)!;
    if (!facts.patroniRunning) {
      failures.push({
        gate: 'patroni-control',
        subject: id,
        message: `Patroni of ${id} is not running under pgfleet (no live process in ${facts.pidFile})`,
        hint: 'pgfleet restarts only the Patroni daemons it started; restart others through their service manager after editing their YAML',
      });
    }
    if (facts.discoveryKey) {
      failures.push({
        gate: 'dcs-discovery',
        subject: id,
        message: `${id} finds etcd through "${facts.discoveryKey}", not a host list`,
        hint: 'pgfleet rewrites hosts only: move that member to https by hand',
      });
    }
    for (const unreadable of facts.unreadable) {
      failures.push({
        gate: 'file-access',
        subject: id,
        message: `the Patroni user of ${id} cannot read ${unreadable.file}: ${unreadable.reason}`,
        hint: 'give the Patroni user (patroni.user) read access: e.g. chgrp postgres FILE and chmod 640 for a key, 644 for a certificate',
      });
    }
  }
  const movedIds = new Set(toMove.map(memberId));
  for (const set of input.fileSets) {
    const concerned = set.members.filter((member) => movedIds.has(member));
    if (concerned.length === 0) continue;
    const who = concerned.length === 1 ? concerned[0]! : `${concerned.length} members`;
    for (const problem of set.problems) {
      failures.push({
        gate: 'certificates',
        subject: set.label,
        message: `${problem.message} (files of ${who})`,
        hint: problem.hint,
      });
    }
    if (set.problems.length > 0) continue;
    for (const endpoint of set.endpoints.filter((check) => !check.ok)) {
      failures.push({
        gate: 'https-endpoint',
        subject: endpoint.endpoint,
        message: `etcd at ${endpoint.endpoint} does not answer over https with ${set.label}: ${endpoint.detail}`,
        hint: 'etcd must already serve https beside http (--listen-client-urls with both, --cert-file/--key-file, --trusted-ca-file with --client-cert-auth) and trust these files',
      });
    }
  }
  return failures;
}
