import { isDeepStrictEqual } from 'node:util';
import { lineOf, parseLocatedYaml } from '../yaml/located-yaml.js';
import { type ConfigTree, isPlainObject, leafPaths } from './deep-merge.js';
import { getPath } from './config-path.js';

/**
 * The keys of a Patroni YAML that pgfleet manages. At each of these paths
 * the generated file holds pgfleet's value, or nothing when pgfleet has no
 * value there: a template or user input can neither override nor add to
 * them. Every other key of a template survives as written.
 */
export type DcsSection = 'etcd' | 'etcd3';

export interface ManagedKeysContext {
  /** The DCS section pgfleet writes; the other one is dropped whole. Unknown (audit of a bare template): both are checked key by key. */
  dcs?: DcsSection | undefined;
  /** PostgreSQL parameters pgfleet sets in postgresql.parameters. */
  localParameters?: readonly string[] | undefined;
  /** PostgreSQL parameters pgfleet sets in bootstrap.dcs.postgresql.parameters (and removes from the local ones, which would win). */
  dcsParameters?: readonly string[] | undefined;
}

/** Keys of an etcd section that say where etcd is and who Patroni is to it. */
const DCS_CONNECTION_KEYS = [
  'host',
  'hosts',
  'url',
  'proxy',
  'srv',
  'srv_suffix',
  'protocol',
  'cacert',
  'cert',
  'key',
  'username',
  'password',
];
/** DCS kinds Patroni knows besides etcd: pgfleet's fleet is on etcd, so a template must not select another. */
const OTHER_DCS = ['consul', 'zookeeper', 'exhibitor', 'kubernetes', 'raft'];
const RESTAPI_KEYS = ['listen', 'connect_address', 'cafile', 'certfile', 'keyfile', 'verify_client', 'authentication'];
const CTL_KEYS = ['insecure', 'cacert', 'certfile', 'keyfile', 'authentication'];
const POSTGRESQL_KEYS = ['listen', 'connect_address', 'data_dir', 'bin_dir', 'pgpass', 'use_pg_rewind', 'pg_hba'];
const ROLES = ['superuser', 'replication', 'rewind'];
/** Set per node whatever the configuration mode: where the instance's socket is. */
export const ALWAYS_LOCAL_PARAMETERS = ['unix_socket_directories'];

/** Every managed key path for a context. */
export function managedKeyPaths(context: ManagedKeysContext = {}): string[][] {
  const paths: string[][] = [['scope'], ['name'], ['namespace']];
  for (const section of ['etcd', 'etcd3'] as const) {
    if (context.dcs !== undefined && context.dcs !== section) paths.push([section]);
    else paths.push(...DCS_CONNECTION_KEYS.map((key) => [section, key]));
  }
  paths.push(...OTHER_DCS.map((section) => [section]));
  paths.push(...RESTAPI_KEYS.map((key) => ['restapi', key]));
  paths.push(...CTL_KEYS.map((key) => ['ctl', key]));
  paths.push(...POSTGRESQL_KEYS.map((key) => ['postgresql', key]));
  for (const role of ROLES)
    paths.push(['postgresql', 'authentication', role, 'username'], ['postgresql', 'authentication', role, 'password']);
  const local = new Set([
    ...ALWAYS_LOCAL_PARAMETERS,
    ...(context.localParameters ?? []),
    ...(context.dcsParameters ?? []),
  ]);
  paths.push(...[...local].map((name) => ['postgresql', 'parameters', name]));
  paths.push(['bootstrap', 'pg_hba'], ['bootstrap', 'dcs', 'postgresql', 'pg_hba']);
  paths.push(...(context.dcsParameters ?? []).map((name) => ['bootstrap', 'dcs', 'postgresql', 'parameters', name]));
  paths.push(['watchdog', 'mode'], ['watchdog', 'device'], ['watchdog', 'safety_margin']);
  return paths;
}

/**
 * The dotted paths of managed keys a template (or user input) sets: what
 * pgfleet will override or drop. Leaves under a managed mapping are listed
 * one by one (`restapi.authentication.username`).
 */
export function managedKeysSetBy(template: ConfigTree, context: ManagedKeysContext = {}): string[] {
  const found: string[] = [];
  for (const path of managedKeyPaths(context)) {
    const value = getPath(template, path);
    if (value === undefined) continue;
    const dotted = path.join('.');
    if (isPlainObject(value) && Object.keys(value).length > 0) found.push(...leafPaths(value, dotted));
    else found.push(dotted);
  }
  return found;
}

/** A managed key the site template sets, where it sets it, and what the generated file holds there instead. */
export interface ManagedKeyInTemplate {
  /** Dotted path: `restapi.authentication.username`. */
  key: string;
  /** `file:line` of the key in the template. */
  location: string;
  /** `replaced`: pgfleet writes its own value there; `dropped`: nothing; `managed`: one or the other (no instance built). */
  outcome: 'replaced' | 'dropped' | 'managed';
}

/**
 * The managed keys a template sets, located in its text, for the warnings of
 * `patroni config render`, `instance create` and `settings show`: without
 * them the template's value is silently not what runs. Given the built
 * configuration, a key whose value pgfleet writes unchanged is not reported
 * and the others say whether they were replaced or dropped. Never a value:
 * the template may hold a password.
 */
export function managedKeysInTemplate(
  text: string,
  source: string,
  context: ManagedKeysContext,
  built?: ConfigTree,
): ManagedKeyInTemplate[] {
  const located = parseLocatedYaml(text, source, 'PATRONI_TEMPLATE_YAML_INVALID');
  const template = isPlainObject(located.value) ? located.value : {};
  const found: ManagedKeyInTemplate[] = [];
  for (const key of managedKeysSetBy(template, context)) {
    const path = key.split('.');
    const written = built ? getPath(built, path) : undefined;
    if (built && written !== undefined && isDeepStrictEqual(written, getPath(template, path))) continue;
    const line = lineOf(located, path);
    found.push({
      key,
      location: line === undefined ? source : `${source}:${line}`,
      outcome: !built ? 'managed' : written === undefined ? 'dropped' : 'replaced',
    });
  }
  return found;
}

/** One warning line: where, which key, what happens to it, and where to set it instead. */
export function describeManagedKeyInTemplate(found: ManagedKeyInTemplate): string {
  const outcome =
    found.outcome === 'dropped'
      ? 'dropped (pgfleet writes no value there)'
      : found.outcome === 'replaced'
        ? "replaced by pgfleet's own value"
        : "replaced by pgfleet's own value or dropped";
  return `${found.location}: the Patroni template sets ${found.key}, which pgfleet manages: ${outcome}; set it through the site settings or the instance options, and remove it from the template`;
}
