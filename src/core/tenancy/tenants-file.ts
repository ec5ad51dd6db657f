import { z } from 'zod';
import { PgfleetError } from '../errors.js';
import { closestName } from '../settings/closest-name.js';
import {
  type LocatedProblem,
  type LocatedYaml,
  formatField,
  keyLocation,
  lineOf,
  locatedProblemsError,
  locationOf,
  parseLocatedYaml,
} from '../yaml/located-yaml.js';
import { ROOT_ROLE } from '../etcd/auth-model.js';
import {
  ACKNOWLEDGEMENT_KEYS,
  type Acknowledgement,
  AcknowledgementSchema,
  acknowledgementProblems,
} from '../census/acknowledgements.js';
import { CLIENT_ENTRY_KEYS, ClientEntrySchema, type ListedClient, listedClientProblems } from './declared-clients.js';
import { nameProblem, scopeProblem } from './tenant-naming.js';

const DCS_PREFIX = /^\/(?:[^/\s]+\/)*$/;

/**
 * The tenants file (settings `tenancy.tenants_file`, or `--tenants-file`):
 * clusters that are tenants besides those pgfleet finds (its instances, the
 * DCS), e.g. one whose first node has not started yet, and per-cluster
 * user or role names that override the formats of the settings.
 *
 *   tenants:
 *     - scope: gamma               # not in the DCS yet
 *     - scope: alpha
 *       namespace: /service/       # default: patroni.etcd.namespace
 *       user: app-alpha            # default: tenancy.user_format
 *       role: app-alpha            # default: tenancy.role_format
 *   clients:                       # etcd clients that are not Patroni: see declared-clients.ts
 *     - name: vip-alpha
 *       kind: vip-manager
 *       scope: alpha
 *   acknowledged:                  # census subjects accepted without a user: see acknowledgements.ts
 *     - subject: "unknown-writer:/app/"
 *       reason: "..."
 */
export const TenantsFileSchema = z.strictObject({
  tenants: z
    .array(
      z.strictObject({
        scope: z.string().describe('the Patroni scope (cluster name)'),
        namespace: z
          .string()
          .regex(DCS_PREFIX, 'expected an absolute prefix ending with "/", such as /service/')
          .optional()
          .describe('Patroni namespace; default patroni.etcd.namespace'),
        user: z.string().min(1).optional().describe("the cluster's etcd user; default from tenancy.user_format"),
        role: z.string().min(1).optional().describe("the cluster's etcd role; default from tenancy.role_format"),
      }),
    )
    .default([]),
  clients: z.array(ClientEntrySchema).default([]),
  acknowledged: z.array(AcknowledgementSchema).default([]),
});

/** One tenant listed in the tenants file. */
export interface ListedTenant {
  scope: string;
  namespace?: string | undefined;
  user?: string | undefined;
  role?: string | undefined;
  /** `file:line:col` of its entry, for messages. */
  origin: string;
}

const ENTRY_KEYS = ['scope', 'namespace', 'user', 'role'];
const TOP_KEYS = ['tenants', 'clients', 'acknowledged'];

/** Everything a tenants file lists. */
export interface TenantsDocument {
  tenants: ListedTenant[];
  clients: ListedClient[];
  acknowledged: Acknowledgement[];
}

/**
 * Parses and checks a tenants file. Every problem names the file, the line,
 * the field and what is expected; nothing is returned unless all is well.
 */
export function parseTenantsFile(text: string, file: string): ListedTenant[] {
  return parseTenantsDocument(text, file).tenants;
}

/** The tenants file whole: tenants, declared clients and acknowledged census subjects, each problem located. */
export function parseTenantsDocument(text: string, file: string): TenantsDocument {
  const source = parseLocatedYaml(text, file, 'TENANTS_FILE_YAML_INVALID');
  const raw = source.value ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    throw new PgfleetError(
      'TENANTS_FILE_NOT_A_MAPPING',
      `${file}: expected a mapping with a "tenants:" list, not a ${Array.isArray(raw) ? 'list' : typeof raw}`,
      {
        hint: 'start the file with "tenants:" followed by entries such as "- scope: alpha"',
      },
    );
  }
  const parsed = TenantsFileSchema.safeParse(raw);
  if (!parsed.success) throw locatedProblemsError(parsed.error.issues.map((issue) => schemaProblem(source, issue)));
  const entries: ListedTenant[] = parsed.data.tenants.map((entry, index) => ({
    ...entry,
    origin: locationOf(source, ['tenants', index]),
  }));
  const clients: ListedClient[] = parsed.data.clients.map((entry, index) => ({
    ...entry,
    origin: locationOf(source, ['clients', index]),
  }));
  const acknowledged: Acknowledgement[] = parsed.data.acknowledged.map((entry, index) => ({
    ...entry,
    origin: locationOf(source, ['acknowledged', index]),
  }));
  const at = (list: string) => (index: number, field?: string) => ({
    location: locationOf(source, field ? [list, index, field] : [list, index]),
    line: String(lineOf(source, [list, index]) ?? '?'),
  });
  const problems = [
    ...entryProblems(source, entries),
    ...listedClientProblems(clients, at('clients')),
    ...acknowledgementProblems(acknowledged, at('acknowledged')),
  ];
  if (problems.length > 0) throw locatedProblemsError(problems);
  return { tenants: entries, clients, acknowledged };
}

function entryProblems(source: LocatedYaml, entries: ListedTenant[]): LocatedProblem[] {
  const problems: LocatedProblem[] = [];
  const problem = (path: (string | number)[], message: string, hint: string): void => {
    problems.push({
      code: 'TENANTS_FILE_INVALID',
      location: locationOf(source, path),
      field: formatField(path),
      message: `${formatField(path)}: ${message}`,
      hint,
    });
  };
  const seen = { cluster: new Map<string, number>(), user: new Map<string, number>(), role: new Map<string, number>() };
  const line = (index: number): string => String(lineOf(source, ['tenants', index]) ?? '?');
  entries.forEach((entry, index) => {
    const bad = scopeProblem(entry.scope);
    if (bad) problem(['tenants', index, 'scope'], bad.message, bad.hint);
    const cluster = `${entry.namespace ?? ''}\u0000${entry.scope}`;
    const sameCluster = seen.cluster.get(cluster);
    if (sameCluster !== undefined)
      problem(
        ['tenants', index, 'scope'],
        `cluster "${entry.scope}" is already listed by tenants[${sameCluster}] (line ${line(sameCluster)})`,
        'list each cluster once',
      );
    else seen.cluster.set(cluster, index);
    for (const what of ['user', 'role'] as const) {
      const name = entry[what];
      if (name === undefined) continue;
      const badName = nameProblem(name, what);
      if (badName) problem(['tenants', index, what], badName.message, badName.hint);
      if (name === ROOT_ROLE)
        problem(
          ['tenants', index, what],
          `"${ROOT_ROLE}" is etcd's administrator: a tenant holding it could read and write every cluster`,
          `choose another ${what} name`,
        );
      const first = seen[what].get(name);
      if (first !== undefined) {
        problem(
          ['tenants', index, what],
          `${what} "${name}" is already named by tenants[${first}] (line ${line(first)}): one ${what} per cluster keeps clusters apart`,
          `give each cluster its own ${what}`,
        );
      } else seen[what].set(name, index);
    }
  });
  return problems;
}

function schemaProblem(source: LocatedYaml, issue: z.core.$ZodIssue): LocatedProblem {
  const path = issue.path.map((segment) => (typeof segment === 'number' ? segment : String(segment)));
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0]!;
    const known =
      path.length === 0
        ? TOP_KEYS
        : path[0] === 'clients'
          ? CLIENT_ENTRY_KEYS
          : path[0] === 'acknowledged'
            ? ACKNOWLEDGEMENT_KEYS
            : ENTRY_KEYS;
    const suggestion = closestName(key, known);
    return {
      code: 'TENANTS_FILE_UNKNOWN_KEY',
      location: keyLocation(source, path, key),
      field: formatField([...path, key]),
      message: `unknown key "${formatField([...path, key])}"`,
      hint: suggestion ? `did you mean "${suggestion}"?` : `known keys here: ${known.join(', ')}`,
    };
  }
  const field = formatField(path);
  return {
    code: 'TENANTS_FILE_INVALID',
    location: locationOf(source, path),
    field,
    message: `${field || '(top level)'}: ${issue.message}`,
    hint:
      path[0] === 'clients'
        ? `each entry of "clients:" takes name and kind (required), and ${CLIENT_ENTRY_KEYS.slice(2).join(', ')}`
        : path[0] === 'acknowledged'
          ? 'each entry of "acknowledged:" takes subject (the id the plan prints) and reason, both required'
          : 'each entry of "tenants:" takes scope (required), namespace, user and role',
  };
}
