import { hostPort } from '../census/client-accounting.js';
import { evaluateCompatibility } from '../versions/compatibility-matrix.js';
import type { KeyCopyPlan } from './etcd-v3-keys.js';

/**
 * What `etcd v3 plan` and `migrate` know about the fleet and each cluster
 * still on etcd's v2 API before anything changes, and the gates a cluster
 * must pass to be moved. A cluster that fails a gate is left as it is; the
 * others can still move.
 */
export interface V2MemberFacts {
  name: string;
  /** From its v2 member key. */
  apiUrl: string | undefined;
  /** Its own GET /patroni; undefined when it did not answer (see unreachable). */
  status:
    | { role: string; state: string; timeline: number | undefined; pause: boolean; patroniVersion: string | undefined }
    | undefined;
  unreachable?: string | undefined;
  /** The member's YAML on this host, when it is here. */
  local: LocalMemberFacts | undefined;
}

export interface LocalMemberFacts {
  configFile: string;
  /** Which DCS sections its YAML has. */
  section: 'etcd' | 'etcd3' | 'both' | 'none';
  /** Found running or in a configured place, not created by pgfleet. */
  adopted: boolean;
  /** Why its YAML cannot be rewritten or its Patroni restarted by pgfleet, if so. */
  problem?: string | undefined;
}

export interface V2ClusterFacts {
  /** `<namespace><scope>` */
  cluster: string;
  namespace: string;
  scope: string;
  /** `<namespace><scope>/` */
  base: string;
  keys: KeyCopyPlan;
  /** The v2 leader key's value. */
  leader: string | undefined;
  members: V2MemberFacts[];
  /** Keys already under the cluster's prefix in v3 (another cluster of the same name, or leftovers). */
  v3Keys: string[];
  /**
   * Members of this cluster whose YAML is on this host, on `etcd:`, but that
   * are not registered in v2 (their Patroni is stopped): started later, they
   * would find an empty v2 directory and initialize a cluster of their own.
   */
  unregisteredHere: string[];
  /** v2-only clients that read this cluster's keys: found on this host or declared. */
  v2Clients: Array<{ subject: string; detail: string }>;
  /** With v3 auth on, whether the cluster's tenant credentials are on this host for its members' new section. */
  v3Credentials: 'not-needed' | 'available' | 'missing';
}

export interface V3MoveFleetFacts {
  /** etcd's version through the v3 API; undefined when v3 did not answer. */
  etcdVersion: string | undefined;
  v3Problem?: string | undefined;
  v2: { served: boolean; authEnabled: boolean | undefined };
  v3AuthEnabled: boolean;
  /** Single-key v2 reads during the observation window that no known v2 client explains. */
  unexplainedV2Reads: { reads: number; observedMs: number } | undefined;
  clusters: V2ClusterFacts[];
}

export type V3MoveGate =
  | 'v2-served'
  | 'v2-auth'
  | 'v3-served'
  | 'matrix'
  | 'reachability'
  | 'member-elsewhere'
  | 'member-file'
  | 'unregistered-member'
  | 'leader'
  | 'keys'
  | 'v3-prefix'
  | 'v2-client'
  | 'v2-readers'
  | 'credentials';

export interface V3MoveGateFailure {
  gate: V3MoveGate;
  /** The cluster, member or client concerned. */
  subject: string;
  message: string;
  hint: string;
}

const PRIMARY_ROLES = new Set(['master', 'primary']);

/** The gates one cluster must pass; empty means it can move. */
export function evaluateV3MoveGates(fleet: V3MoveFleetFacts, cluster: V2ClusterFacts): V3MoveGateFailure[] {
  const failures: V3MoveGateFailure[] = [];
  const fail = (gate: V3MoveGate, subject: string, message: string, hint: string): void => {
    failures.push({ gate, subject, message, hint });
  };
  const id = (member: string): string => `${cluster.cluster}/${member}`;

  if (!fleet.v2.served)
    fail(
      'v2-served',
      cluster.cluster,
      'etcd does not serve its v2 API: the cluster cannot be read from there',
      'restart etcd with --enable-v2 for the time of the move (etcd 3.6 removed v2: move before upgrading to 3.6)',
    );
  if (fleet.v2.authEnabled !== false)
    fail(
      'v2-auth',
      cluster.cluster,
      fleet.v2.authEnabled
        ? 'v2 auth is on: pgfleet reads and removes v2 keys without v2 credentials'
        : 'whether v2 auth is on is not known',
      'move with v2 auth off (v2 auth is separate from v3 auth and does not protect v3)',
    );
  if (fleet.etcdVersion === undefined)
    fail(
      'v3-served',
      cluster.cluster,
      `etcd does not answer on its v3 API${fleet.v3Problem ? `: ${fleet.v3Problem}` : ''}`,
      "check etcd's client URLs and the admin credentials in the settings",
    );

  for (const member of cluster.members) {
    const memberId = id(member.name);
    if (!member.status) {
      fail(
        'reachability',
        memberId,
        `member ${memberId} does not answer on its REST API${member.unreachable ? `: ${member.unreachable}` : ''}`,
        'every member must answer so the cluster can be paused and each member checked after its restart',
      );
    } else if (member.status.state !== 'running') {
      fail(
        'reachability',
        memberId,
        `member ${memberId} is ${member.status.state}, not running`,
        'move a cluster whose members all run',
      );
    }
    if (!member.local) {
      // On another host: its host's `etcd v3 migrate --host-only` moves it, recognising it by its registered REST API.
      if (member.apiUrl === undefined)
        fail(
          'member-elsewhere',
          memberId,
          `member ${memberId} is not on this host and registered no REST API: its host could not recognise it`,
          'a member on another host is moved by `pgfleet etcd v3 migrate --host-only` there, which finds it by the api_url of its member key',
        );
    } else if (member.local.problem) {
      fail('member-file', memberId, `member ${memberId}: ${member.local.problem}`, `fix ${member.local.configFile}`);
    } else if (member.local.section !== 'etcd') {
      fail(
        'member-file',
        memberId,
        member.local.section === 'both'
          ? `${member.local.configFile} has both an etcd: and an etcd3: section`
          : `${member.local.configFile} has no etcd: section (it says ${member.local.section})`,
        'a member on etcd v2 has exactly one DCS section, etcd:',
      );
    }
    const version = member.status?.patroniVersion;
    if (member.status && fleet.etcdVersion !== undefined) {
      const verdict = evaluateCompatibility({
        patroniVersion: version ?? 'unknown',
        etcdVersion: fleet.etcdVersion,
        tokenType: 'unknown',
        operation: 'move-to-etcd3',
      });
      if (verdict.verdict === 'unsafe' || verdict.verdict === 'unknown')
        fail(
          'matrix',
          memberId,
          `moving Patroni ${version ?? '(version unknown)'} on etcd ${fleet.etcdVersion} to etcd3 is ${verdict.verdict === 'unsafe' ? 'unsafe' : 'not verified'}: ${verdict.reasons[0] ?? ''}`,
          verdict.citations.length > 0
            ? `see ${verdict.citations.map((citation) => citation.ref).join(', ')}`
            : 'no fact of the compatibility matrix covers this pair: pgfleet does not move it',
        );
    }
  }

  for (const file of cluster.unregisteredHere)
    fail(
      'unregistered-member',
      cluster.cluster,
      `${file} is a member of ${cluster.cluster} on this host, on the etcd: section, but it is not registered in v2 (its Patroni is not running)`,
      'start it so it moves with its cluster, or remove its file: left on etcd: it would later find an empty v2 directory and start a cluster of its own',
    );

  const primaries = cluster.members.filter((member) => PRIMARY_ROLES.has(member.status?.role ?? ''));
  if (cluster.leader === undefined)
    fail(
      'leader',
      cluster.cluster,
      `cluster ${cluster.cluster} has no leader key in v2`,
      'move a healthy cluster: wait for its leader, or fix it first',
    );
  else if (!cluster.members.some((member) => member.name === cluster.leader))
    fail(
      'leader',
      cluster.cluster,
      `the leader key of ${cluster.cluster} names ${cluster.leader}, which has no member key`,
      'wait for the cluster to settle',
    );
  else if (primaries.length !== 1 || primaries[0]!.name !== cluster.leader)
    fail(
      'leader',
      cluster.cluster,
      `the leader key of ${cluster.cluster} names ${cluster.leader}, but the running primaries are: ${primaries.map((member) => member.name).join(', ') || 'none'}`,
      'move a cluster whose leader key and running primary agree',
    );

  if (!cluster.keys.copy.some((entry) => entry.key === `${cluster.base}config`))
    fail(
      'keys',
      cluster.cluster,
      `cluster ${cluster.cluster} has no config key in v2`,
      'Patroni writes it at bootstrap; a cluster without it is not healthy',
    );
  if (!cluster.keys.copy.some((entry) => entry.key === `${cluster.base}initialize`))
    fail(
      'keys',
      cluster.cluster,
      `cluster ${cluster.cluster} has no initialize key in v2`,
      'Patroni writes it at bootstrap; a cluster without it is not healthy',
    );
  for (const refused of cluster.keys.refused)
    fail(
      'keys',
      refused.key,
      `${refused.key}: ${refused.why}`,
      `let it finish, or remove it: patronictl flush ${cluster.scope} switchover`,
    );
  if (cluster.keys.unknown.length > 0)
    fail(
      'keys',
      cluster.cluster,
      `keys under ${cluster.base} that are not Patroni's (or belong to Citus groups): ${cluster.keys.unknown.slice(0, 5).join(', ')}${cluster.keys.unknown.length > 5 ? ` and ${cluster.keys.unknown.length - 5} more` : ''}`,
      'pgfleet moves plain Patroni clusters only; move or remove those keys first',
    );
  if (cluster.v3Keys.length > 0)
    fail(
      'v3-prefix',
      cluster.cluster,
      `${cluster.base} already holds ${cluster.v3Keys.length} key(s) in v3 (${cluster.v3Keys.slice(0, 3).join(', ')}): another cluster of the same name, or leftovers`,
      'a cluster of the same scope in the same namespace would be merged with this one: rename one, or remove the leftovers',
    );
  for (const client of cluster.v2Clients)
    fail(
      'v2-client',
      client.subject,
      `${client.subject} reads ${cluster.cluster} through etcd's v2 API: ${client.detail}`,
      'once the keys move it finds no leader and drops what it holds (a VIP): upgrade it to a v3 client first (vip-manager 2.0 or later with dcs-type etcd3)',
    );
  if (fleet.unexplainedV2Reads && fleet.unexplainedV2Reads.reads > 0)
    fail(
      'v2-readers',
      cluster.cluster,
      `${fleet.unexplainedV2Reads.reads} single-key v2 read(s) in ${(fleet.unexplainedV2Reads.observedMs / 1000).toFixed(1)} s that no Patroni member and no known client explains (Patroni on etcd: makes only recursive reads): a v2 client reads some cluster's keys`,
      'find it (`pgfleet etcd v3 plan` on each host lists the v2 clients it sees running) and upgrade it to v3 or declare it, then run again',
    );
  if (cluster.v3Credentials === 'missing')
    fail(
      'credentials',
      cluster.cluster,
      `etcd v3 auth is on and this host has no tenant credentials for ${cluster.cluster}: its members could not use v3`,
      'create its tenant (`pgfleet etcd tenants apply`) on this host first',
    );
  return failures;
}

/**
 * The PATRONI_ETCD_* variables of a Patroni's environment (names only):
 * Patroni 3.0.2 builds an `etcd:` section from them whatever its YAML says
 * (config.py _build_environment_configuration), so renaming the file's
 * section would leave the member on v2 (or with both sections).
 */
export function v2EnvironmentOverrides(names: readonly string[]): string[] {
  return names.filter((name) => name.startsWith('PATRONI_ETCD_'));
}

/**
 * Whether a member's `etcd:` section points at the etcd being moved from
 * (one of its host:port): a file on this host for another etcd is not one
 * of this fleet's members. undefined when the section does not say
 * (srv or proxy discovery): it is then taken as one.
 */
export function sectionReaches(section: Record<string, unknown>, endpoints: readonly string[]): boolean | undefined {
  const listed = [
    ...(typeof section.host === 'string' ? [section.host] : []),
    ...(typeof section.hosts === 'string' ? section.hosts.split(',') : []),
    ...(Array.isArray(section.hosts) ? section.hosts.map(String) : []),
    ...(typeof section.url === 'string' ? [section.url] : []),
  ]
    .map((entry) => entry.trim())
    .filter((entry) => entry.length > 0);
  if (listed.length === 0) return undefined;
  const wanted = new Set(endpoints.map(hostPort));
  return listed.some((entry) => wanted.has(hostPort(entry)));
}

/** Whether the REST API a member registered (`api_url` of its member key) is the one its file on this host serves. */
export function sameRestApi(apiUrl: string | undefined, restUrl: string): boolean {
  if (apiUrl === undefined) return true;
  const strip = (url: string): string =>
    url
      .replace(/\/patroni\/?$/, '')
      .replace(/\/+$/, '')
      .replace('://localhost', '://127.0.0.1');
  return strip(apiUrl) === strip(restUrl);
}
