import { type Acknowledgement, notAcknowledgeable, settleSubjects } from '../census/acknowledgements.js';
import type { CensusSubject } from '../census/census-subject.js';
import type { ClientAccount } from '../census/client-accounting.js';
import type { EtcdClientProcess } from '../census/client-process/etcd-client-process.js';
import type { EtcdCensus } from '../census/etcd-census.js';
import { type ClientReadinessRecord, readinessMismatch } from '../tenancy/client-readiness.js';
import {
  type ClientApiVerdict,
  type DeclaredClient,
  describeGrant,
  judgeClientApi,
} from '../tenancy/declared-clients.js';
import type { GateFailure } from './enforce-gates.js';

/** A declared client as etcd and this host hold it (read by fleet/declared-client-state.ts). */
export interface DeclaredClientFacts {
  client: DeclaredClient;
  userExists: boolean;
  userHasRole: boolean;
  otherRoles: string[];
  roleExists: boolean;
  roleGrantExact: boolean;
  otherGrants: string[];
  passwordHere: boolean;
  passwordFile: string;
  readiness: ClientReadinessRecord | undefined;
}

/** Its user exists and holds its role alone, and the role holds exactly the declared grant. */
export function clientSetUp(facts: DeclaredClientFacts): boolean {
  return (
    facts.userExists &&
    facts.userHasRole &&
    facts.roleGrantExact &&
    facts.otherGrants.length === 0 &&
    facts.otherRoles.length === 0
  );
}

export interface CensusGateInput {
  account: ClientAccount;
  census: Pick<EtcdCensus, 'host' | 'processes' | 'keyspace' | 'v2'>;
  acknowledged: readonly Acknowledgement[];
  clients: readonly DeclaredClientFacts[];
}

/** A declared client, as the plan and the gates see it. */
export interface DeclaredClientView {
  name: string;
  kind: string;
  user: string;
  role: string;
  grant: string;
  /** `ready`: nothing blocks it; `blocked`: the gates refuse until the problems are fixed. */
  status: 'ready' | 'blocked';
  ready: boolean;
  api: ClientApiVerdict;
  /** Its processes the census found on this host. */
  processes: number[];
  /** What `etcd auth prepare` (or `etcd tenants apply`) will do for it. */
  prepare: string[];
  problems: Array<{ message: string; hint: string }>;
}

export interface AcknowledgedSubject {
  id: string;
  kind: string;
  summary: string;
  reason: string;
  origin: string;
}

/** The census as the plan and enforce's gates judge it. */
export interface CensusGateReport {
  /** What blocks enforce, one failure per subject or client problem. */
  failures: GateFailure[];
  /** Subjects the operator accepted, each named with its reason: enforce goes on, and they are not protected. */
  acknowledged: AcknowledgedSubject[];
  /** Named, not blocking: v2 clusters and keys v3 auth leaves open, unmatched acknowledgements, a partial census. */
  warnings: string[];
  /** Every subject the census found, for --output json. */
  subjects: CensusSubject[];
  clients: DeclaredClientView[];
  /** What the fleet's members, leases, watchers and processes explained. */
  explained: ClientAccount['explained'];
  incomplete: string[];
}

/** Subjects that name something v3 auth leaves as it is: told, never blocking. */
const WARN_ONLY = new Set(['v2-cluster', 'v2-open-keyspace', 'v2-readers']);

/**
 * The census set against the gates: every subject the fleet does not account
 * for blocks, named with its fix, unless the operator acknowledged it by its
 * id (a Patroni cluster outside the namespaces with live members cannot be
 * acknowledged: it would be cut off); every declared client must have its
 * user and exact grant, its password here (enforce proves it with it), a
 * readiness acknowledgement matching its declaration, and an etcd API that
 * can read its keys. v2 clusters and keys are named as left open by v3 auth.
 * Pure: the census and the facts were read beforehand.
 */
export function judgeCensus(input: CensusGateInput): CensusGateReport {
  const { account } = input;
  const blocking = account.subjects.filter((subject) => !WARN_ONLY.has(subject.kind));
  const settled = settleSubjects(account.subjects, input.acknowledged);
  const failures: GateFailure[] = [];
  const warnings: string[] = [];
  const refused = new Map(settled.refused.map((entry) => [entry.subject.id, entry]));
  for (const subject of settled.open) {
    if (WARN_ONLY.has(subject.kind)) {
      warnings.push(`${subject.summary} [${subject.id}]`);
      continue;
    }
    const refusal = refused.get(subject.id);
    const acknowledgeable = notAcknowledgeable(subject) === undefined;
    failures.push({
      gate: 'census',
      subject: subject.id,
      message: `${subject.summary}${refusal ? ` (acknowledged at ${refusal.acknowledgement.origin}, but ${refusal.why})` : ''}`,
      hint: acknowledgeable
        ? `${subject.fix} (to acknowledge it, the tenants file takes: acknowledged: [{ subject: "${subject.id}", reason: "..." }])`
        : subject.fix,
    });
  }
  for (const entry of settled.unmatched)
    warnings.push(
      `the acknowledgement of "${entry.subject}" (${entry.origin}) matches nothing the census found: the client is gone, or the id is mistyped`,
    );
  for (const part of account.incomplete) warnings.push(`census incomplete: ${part}`);

  const clients = input.clients.map((facts) => clientView(facts, input));
  for (const client of clients)
    for (const problem of client.problems)
      failures.push({
        gate: 'declared-client',
        subject: `client ${client.name}`,
        message: `declared client ${client.name} (${client.kind}): ${problem.message}`,
        hint: problem.hint,
      });
  for (const client of clients)
    if (client.api.verdict === 'unknown') warnings.push(`declared client ${client.name}: ${client.api.note}`);

  return {
    failures,
    acknowledged: settled.acknowledged
      .filter((entry) => blocking.includes(entry.subject) || WARN_ONLY.has(entry.subject.kind))
      .map((entry) => ({
        id: entry.subject.id,
        kind: entry.subject.kind,
        summary: entry.subject.summary,
        reason: entry.reason,
        origin: entry.origin,
      })),
    warnings,
    subjects: account.subjects,
    clients,
    explained: account.explained,
    incomplete: account.incomplete,
  };
}

function clientView(facts: DeclaredClientFacts, input: CensusGateInput): DeclaredClientView {
  const { client } = facts;
  const running = runningFor(client, input.census.processes.clients);
  const api = judgeClientApi(
    client,
    keyspaceOf(client, input.census),
    running[0] ? { version: running[0].version, api: running[0].api } : undefined,
  );
  const prepare: string[] = [];
  if (!facts.roleExists) prepare.push(`create role ${client.role}`);
  for (const grant of facts.otherGrants)
    prepare.push(`revoke ${grant} from role ${client.role} (beyond its declaration)`);
  if (!facts.roleGrantExact) prepare.push(`grant ${describeGrant(client.grant)} to role ${client.role}`);
  if (!facts.userExists)
    prepare.push(
      `create user ${client.user} (${facts.passwordHere ? `password from ${facts.passwordFile}` : `password generated into ${facts.passwordFile}, 0600`})`,
    );
  if (!facts.userHasRole) prepare.push(`grant role ${client.role} to ${client.user}`);
  for (const role of facts.otherRoles) prepare.push(`revoke role ${role} from ${client.user}`);

  const problems: DeclaredClientView['problems'] = [];
  if (!clientSetUp(facts))
    problems.push({
      message: `its etcd user and role are not as declared yet (${prepare.join('; ')})`,
      hint: '`pgfleet etcd auth prepare` (or `pgfleet etcd tenants apply`) creates them',
    });
  else if (!facts.passwordHere)
    problems.push({
      message: `its password file ${facts.passwordFile} is not on this host: enforce could not prove it`,
      hint: `copy it (0600) from the host where it was created, or run \`pgfleet etcd tenants apply --reset-missing-passwords\` and configure ${client.name} again`,
    });
  const mismatch = facts.readiness ? readinessMismatch(facts.readiness, client) : undefined;
  if (!facts.readiness)
    problems.push({
      message: `not acknowledged ready: nothing says it has been configured with user ${client.user}${client.kind === 'vip-manager' ? ' (vip-manager drops its VIP on the first refused read)' : ''}`,
      hint: `configure ${client.name} with user ${client.user} and the password in ${facts.passwordFile}, then run \`pgfleet etcd clients ready ${client.name}\``,
    });
  else if (mismatch)
    problems.push({
      message: `its readiness no longer matches its declaration: ${mismatch}`,
      hint: `configure it as declared, then run \`pgfleet etcd clients ready ${client.name}\` again`,
    });
  if (api.verdict === 'v2-only-on-v3' || api.verdict === 'v3-only-on-v2')
    problems.push({
      message: api.note,
      hint:
        api.verdict === 'v2-only-on-v3'
          ? `run a ${client.kind} that speaks etcd v3${client.kind === 'vip-manager' ? ' (vip-manager 2.0 or later, with dcs-type etcd3)' : ''}, then declare its version`
          : 'point it at the keyspace its cluster uses',
    });
  for (const process of running) {
    if (!process.credentialsSet)
      problems.push({
        message: `its process ${process.pid} on ${input.census.host} runs without etcd credentials: it would be refused once auth is on`,
        hint: `configure it with user ${client.user} and the password in ${facts.passwordFile}, and restart it`,
      });
    else if (process.username !== undefined && process.username !== client.user)
      problems.push({
        message: `its process ${process.pid} on ${input.census.host} runs as etcd user ${process.username}, not ${client.user}`,
        hint: `configure it with user ${client.user}, or declare the user it uses`,
      });
  }
  return {
    name: client.name,
    kind: client.kind,
    user: client.user,
    role: client.role,
    grant: describeGrant(client.grant),
    status: problems.length === 0 ? 'ready' : 'blocked',
    ready: facts.readiness !== undefined && mismatch === undefined,
    api,
    processes: running.map((process) => process.pid),
    prepare,
    problems,
  };
}

/** Processes on this host that are this client: its program (etcdctl stands in for any), on its keys or as its user. */
function runningFor(client: DeclaredClient, processes: readonly EtcdClientProcess[]): EtcdClientProcess[] {
  return processes.filter(
    (process) =>
      (process.program === client.kind || process.program === 'etcdctl') &&
      ((process.username !== undefined && process.username === client.user) ||
        (process.keys.length > 0 &&
          process.keys.every((key) =>
            client.grant.prefix ? key.key.startsWith(client.grant.key) : key.key === client.grant.key,
          ))),
  );
}

/** Where the keys a client needs live: the v2 keyspace only for a cluster found there and not in v3. */
function keyspaceOf(client: DeclaredClient, census: CensusGateInput['census']): 'v2' | 'v3' {
  const base = client.cluster?.prefix ?? client.grant.key;
  const inV3 =
    census.keyspace.patroniClusters.some((cluster) => cluster.base === base) ||
    census.keyspace.prefixes.some((prefix) => prefix.prefix.startsWith(base) || base.startsWith(prefix.prefix));
  const inV2 =
    census.v2.keyspace?.patroniClusters.some((cluster) => cluster.base === base) === true ||
    census.v2.keyspace?.prefixes.some((prefix) => prefix.prefix.startsWith(base)) === true;
  return inV2 && !inV3 ? 'v2' : 'v3';
}
