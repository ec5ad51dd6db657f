import { z } from 'zod';
import { ROOT_ROLE } from '../etcd/auth-model.js';
import { type KeyRange, prefixRange } from '../etcd/key-range.js';
import { clientApiSupport } from '../versions/dcs-client-facts.js';
import type { Citation } from '../versions/compatibility-row.js';
import type { LocatedProblem } from '../yaml/located-yaml.js';
import { nameProblem, scopeProblem } from './tenant-naming.js';

const DCS_PREFIX = /^\/(?:[^/\s]+\/)*$/;

/** The clients of the etcd, besides Patroni, that the tenants file can declare. */
export const DECLARED_CLIENT_KINDS = ['vip-manager', 'monitoring', 'patronictl', 'confd'] as const;
export type DeclaredClientKind = (typeof DECLARED_CLIENT_KINDS)[number];

/**
 * One entry of the tenants file's `clients:` list: a client that is not
 * Patroni, with exactly what it needs.
 *
 *   clients:
 *     - name: vip-alpha          # its etcd user and role (unless user/role say otherwise)
 *       kind: vip-manager        # read of /<namespace>/<scope>/leader only
 *       scope: alpha
 *       version: 2.8.0           # judged: a v2-only vip-manager cannot read a v3 cluster
 *     - name: prometheus
 *       kind: monitoring         # read of a cluster's prefix (scope), or of any prefix
 *       scope: alpha
 *     - name: admin1-patronictl
 *       kind: patronictl         # its own identity, readwrite on the cluster's prefix
 *       scope: alpha
 *     - name: confd-app
 *       kind: confd              # read of a prefix
 *       prefix: /app/config/
 */
export const ClientEntrySchema = z.strictObject({
  name: z.string().min(1).describe("the client's name; its etcd user and role by default"),
  kind: z.enum(DECLARED_CLIENT_KINDS).describe('vip-manager, monitoring, patronictl or confd'),
  scope: z.string().optional().describe('the cluster it serves (vip-manager, patronictl; monitoring without prefix)'),
  namespace: z
    .string()
    .regex(DCS_PREFIX, 'expected an absolute prefix ending with "/", such as /service/')
    .optional()
    .describe("the cluster's namespace; default patroni.etcd.namespace"),
  prefix: z
    .string()
    .regex(DCS_PREFIX, 'expected an absolute prefix ending with "/", such as /app/config/')
    .optional()
    .describe('the prefix it reads (confd; monitoring instead of scope)'),
  version: z.string().min(1).optional().describe('its version, judged for the etcd API it speaks'),
  api: z.enum(['v2', 'v3']).optional().describe('the etcd API it uses, when its version does not tell'),
  user: z.string().min(1).optional().describe('its etcd user; default its name'),
  role: z.string().min(1).optional().describe('its etcd role; default its name'),
  watchers: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('v3 watches it keeps open (default: what its kind and version are known to keep)'),
});

export const CLIENT_ENTRY_KEYS = Object.keys(ClientEntrySchema.shape);

export type ClientEntry = z.infer<typeof ClientEntrySchema>;

/** A client listed in the tenants file, with where. */
export interface ListedClient extends ClientEntry {
  /** `file:line:col` of its entry. */
  origin: string;
}

/** What a declared client may do, and on which keys: the one grant of its role. */
export interface ClientGrant {
  key: string;
  /** False: the single key. */
  prefix: boolean;
  permType: 'READ' | 'READWRITE';
}

/** A declared client resolved: its etcd identity, its one grant, and what the census may see of it. */
export interface DeclaredClient {
  name: string;
  kind: DeclaredClientKind;
  user: string;
  role: string;
  /** The cluster it serves, when it serves one. */
  cluster: { namespace: string; scope: string; prefix: string } | undefined;
  grant: ClientGrant;
  /** The keys it uses (for the census): its grant. */
  keys: Array<{ key: string; prefix: boolean }>;
  writes: boolean;
  /** The etcd API it speaks, when known (declared, or from its version). */
  api: 'v2' | 'v3' | undefined;
  version: string | undefined;
  /** v3 watchers it keeps open. */
  watchers: number;
  origin: string;
}

/** The problems of the `clients:` list that need nothing but the list itself. `at(index, field?)` locates an entry. */
export function listedClientProblems(
  clients: readonly ListedClient[],
  at: (index: number, field?: string) => { location: string; line: string },
): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  const problem = (index: number, field: string, message: string, hint: string): void => {
    const field_ = `clients[${index}].${field}`;
    problems.push({
      code: 'TENANTS_FILE_INVALID',
      location: at(index, field).location,
      field: field_,
      message: `${field_}: ${message}`,
      hint,
    });
  };
  const seen = { name: new Map<string, number>(), user: new Map<string, number>(), role: new Map<string, number>() };
  clients.forEach((client, index) => {
    const needsScope = client.kind === 'vip-manager' || client.kind === 'patronictl';
    if (needsScope && client.scope === undefined)
      problem(index, 'scope', `a ${client.kind} serves one cluster: its scope is required`, 'add "scope: <cluster>"');
    if (needsScope && client.prefix !== undefined)
      problem(
        index,
        'prefix',
        `a ${client.kind} uses its cluster's keys, not a prefix of its own`,
        'remove prefix; give the scope (and namespace) of its cluster',
      );
    if (client.kind === 'confd' && client.prefix === undefined)
      problem(index, 'prefix', 'confd reads a prefix: it is required', 'add "prefix: /the/prefix/it/reads/"');
    if (client.kind === 'confd' && client.scope !== undefined)
      problem(index, 'scope', 'confd is declared by the prefix it reads', 'remove scope; give prefix');
    if (client.kind === 'monitoring' && (client.scope === undefined) === (client.prefix === undefined))
      problem(
        index,
        'scope',
        'monitoring reads either a cluster (scope) or a prefix: give exactly one of them',
        'keep scope (the cluster it watches) or prefix',
      );
    if (client.prefix === '/')
      problem(index, 'prefix', 'the prefix "/" is the whole keyspace', 'give the prefix the client really reads');
    if (client.scope !== undefined) {
      const bad = scopeProblem(client.scope);
      if (bad) problem(index, 'scope', bad.message, bad.hint);
    }
    const badName = nameProblem(client.name, 'user');
    if (badName)
      problem(index, 'name', badName.message.replace('user name', 'client name'), 'choose another client name');
    const firstName = seen.name.get(client.name);
    if (firstName !== undefined)
      problem(
        index,
        'name',
        `client "${client.name}" is already declared by clients[${firstName}] (line ${at(firstName).line})`,
        'declare each client once',
      );
    else seen.name.set(client.name, index);
    for (const what of ['user', 'role'] as const) {
      const name = client[what] ?? client.name;
      if (client[what] !== undefined) {
        const bad = nameProblem(name, what);
        if (bad) problem(index, what, bad.message, bad.hint);
      }
      if (name === ROOT_ROLE)
        problem(
          index,
          client[what] !== undefined ? what : 'name',
          `"${ROOT_ROLE}" is etcd's administrator: a client holding it reaches every cluster`,
          `choose another ${what} name`,
        );
      const first = seen[what].get(name);
      if (first !== undefined)
        problem(
          index,
          client[what] !== undefined ? what : 'name',
          `${what} "${name}" is already used by clients[${first}] (line ${at(first).line}): each client has its own ${what}`,
          `give this client its own ${what}`,
        );
      else seen[what].set(name, index);
    }
  });
  return problems;
}

/** A listed client resolved with the namespace of the settings (`patroni.etcd.namespace`) as default. */
export function declaredClient(entry: ListedClient, defaultNamespace: string): DeclaredClient {
  const namespace = entry.namespace ?? defaultNamespace;
  const cluster =
    entry.scope !== undefined ? { namespace, scope: entry.scope, prefix: `${namespace}${entry.scope}/` } : undefined;
  const grant: ClientGrant =
    entry.kind === 'vip-manager'
      ? { key: `${cluster!.prefix}leader`, prefix: false, permType: 'READ' }
      : entry.kind === 'patronictl'
        ? { key: cluster!.prefix, prefix: true, permType: 'READWRITE' }
        : { key: entry.prefix ?? cluster!.prefix, prefix: true, permType: 'READ' };
  const support = entry.version ? clientApiSupport(entry.kind, entry.version) : undefined;
  const api =
    entry.api ??
    (support && support.etcdV3 === true && support.etcdV2 !== true
      ? 'v3'
      : support && support.etcdV2 === true && support.etcdV3 !== true
        ? 'v2'
        : entry.kind === 'monitoring' || entry.kind === 'patronictl'
          ? 'v3'
          : undefined);
  return {
    name: entry.name,
    kind: entry.kind,
    user: entry.user ?? entry.name,
    role: entry.role ?? entry.name,
    cluster,
    grant,
    keys: [{ key: grant.key, prefix: grant.prefix }],
    writes: grant.permType === 'READWRITE',
    api,
    version: entry.version,
    watchers: entry.watchers ?? defaultWatchers(entry.kind, support?.watchers, api),
    origin: entry.origin,
  };
}

/**
 * The watches a client of this kind keeps when not declared: vip-manager
 * from 2.3.0 watches its trigger key (a version that is not known but speaks
 * v3 is taken as a current one); confd only with `-watch`, monitoring and
 * patronictl do not keep any.
 */
function defaultWatchers(
  kind: DeclaredClientKind,
  known: number | 'unknown' | undefined,
  api: 'v2' | 'v3' | undefined,
): number {
  if (typeof known === 'number') return known;
  return kind === 'vip-manager' && api === 'v3' ? 1 : 0;
}

/** The key range of a grant, as etcd stores it (a single key has an empty range end). */
export function grantRange(grant: ClientGrant): KeyRange {
  return grant.prefix ? prefixRange(grant.key) : { key: Buffer.from(grant.key), rangeEnd: Buffer.alloc(0) };
}

/** `read of the key /service/alpha/leader`, `read of /app/ and below`, `readwrite on /service/alpha/ and below`. */
export function describeGrant(grant: ClientGrant): string {
  const what = grant.permType === 'READ' ? 'read of' : 'readwrite on';
  return grant.prefix ? `${what} ${grant.key} and below` : `${what} the key ${grant.key}`;
}

/**
 * Names a declared client may not take: a tenant's user or role (the client
 * would hold the cluster's readwrite grant), or pgfleet's admin identity.
 */
export function clientNameConflicts(
  clients: readonly DeclaredClient[],
  tenants: ReadonlyArray<{ user: string; role: string; namespace: string; scope: string }>,
  adminUser: string,
): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  for (const client of clients) {
    for (const what of ['user', 'role'] as const) {
      const name = client[what];
      const tenant = tenants.find((candidate) => candidate[what] === name);
      if (tenant)
        problems.push({
          code: 'CLIENT_NAME_SHARED',
          location: client.origin,
          field: what,
          message: `client ${client.name}: ${what} "${name}" is the ${what} of cluster ${tenant.namespace}${tenant.scope}: the client would hold that cluster's readwrite grant`,
          hint: `give the client its own ${what} in the tenants file`,
        });
      if (what === 'user' && name === adminUser)
        problems.push({
          code: 'CLIENT_NAME_RESERVED',
          location: client.origin,
          field: what,
          message: `client ${client.name}: user "${name}" is pgfleet's admin identity`,
          hint: 'give the client its own user in the tenants file',
        });
    }
  }
  return problems;
}

/** What the client's version says about the etcd API it speaks, against the keyspace its keys live in. */
export interface ClientApiVerdict {
  client: string;
  /** The version judged, and where it came from. */
  version: string | undefined;
  versionSource: 'declared' | 'running' | undefined;
  api: 'v2' | 'v3' | undefined;
  /** `v2-only-on-v3`: it cannot read what it needs, auth or not; `unknown`: nothing tells its API. */
  verdict: 'ok' | 'v2-only-on-v3' | 'v3-only-on-v2' | 'unknown';
  note: string;
  citations: readonly Citation[];
}

/**
 * Judges a declared client's etcd API with `clientApiSupport`: the declared
 * version (or API), else the version of the process the census found running
 * for it. `keyspace` is where the keys it reads live: v3 for a cluster on
 * Patroni's etcd3 section, v2 for one on its etcd section.
 */
export function judgeClientApi(
  client: Pick<DeclaredClient, 'name' | 'kind' | 'version' | 'api'>,
  keyspace: 'v2' | 'v3',
  running?: { version: string | undefined; api: 'v2' | 'v3' | 'unknown' | 'other-dcs' } | undefined,
): ClientApiVerdict {
  const versionSource: ClientApiVerdict['versionSource'] = client.version
    ? 'declared'
    : running?.version
      ? 'running'
      : undefined;
  const version = client.version ?? running?.version;
  // Debian's package version (`1.0.2-6+b2`) is judged by its upstream part.
  const upstream = version?.replace(/^\d+:/, '').replace(/[-+~].*$/, '');
  const support = upstream ? clientApiSupport(client.kind, upstream) : undefined;
  const fromSupport =
    support && support.etcdV2 === true && support.etcdV3 !== true
      ? 'v2'
      : support && support.etcdV3 === true && support.etcdV2 !== true
        ? 'v3'
        : undefined;
  const fromRunning = running?.api === 'v2' || running?.api === 'v3' ? running.api : undefined;
  const api = client.api ?? fromSupport ?? fromRunning;
  const base = { client: client.name, version, versionSource, api, citations: support?.citations ?? [] };
  if (api === undefined)
    return {
      ...base,
      verdict: 'unknown',
      note: `nothing tells which etcd API ${client.name} (${client.kind}${version ? ` ${version}` : ''}) speaks: declare its version or api`,
    };
  if (api === 'v2' && keyspace === 'v3')
    return {
      ...base,
      verdict: 'v2-only-on-v3',
      note: `${client.name} (${client.kind}${version ? ` ${version}` : ''}) speaks only etcd's v2 API: it cannot read the keys it needs, which live in the v3 keyspace${support?.note ? `; ${support.note}` : ''}`,
    };
  if (api === 'v3' && keyspace === 'v2')
    return {
      ...base,
      verdict: 'v3-only-on-v2',
      note: `${client.name} (${client.kind}${version ? ` ${version}` : ''}) speaks etcd's v3 API, but the keys it needs live in the v2 keyspace`,
    };
  return { ...base, verdict: 'ok', note: support?.note ?? `${client.name} speaks etcd's ${api} API` };
}
