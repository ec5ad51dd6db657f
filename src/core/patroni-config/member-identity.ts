/**
 * Who a Patroni YAML says its member is, read as Patroni 3.0.2 reads it, for
 * a file pgfleet did not write. No secret leaves this function: for the DCS
 * credentials only the user name and whether a password is set.
 */
export interface MemberIdentity {
  scope: string | undefined;
  name: string | undefined;
  /** With leading and trailing slash, `/service/` when not set (Patroni's default). */
  namespace: string;
  /** The DCS section Patroni uses: the first of its DCS modules, by module name, with a section in the file. */
  dcs: string | undefined;
  /** `etcd3` or `etcd` when the DCS is etcd, else undefined. */
  dcsSection: 'etcd3' | 'etcd' | undefined;
  dcsCredentials: { username: string | undefined; passwordSet: boolean };
  /**
   * The etcd endpoints of the DCS section as `host:port`, lower case, without
   * scheme (`host`, `hosts`, `url`); undefined when it names none (`srv`,
   * `proxy`): which etcd the member uses is then unknown.
   */
  dcsHosts: string[] | undefined;
  restapi: { listen: string | undefined; connectAddress: string | undefined };
  /** `log.dir` when set: Patroni then logs to `<dir>/patroni.log` instead of stderr. */
  logDir: string | undefined;
  /** What makes it unusable as a member (missing scope, name or REST address). */
  problems: string[];
}

/** Patroni's DCS modules in the order get_dcs() tries them (pkgutil lists them sorted by name). */
const DCS_MODULES = ['consul', 'etcd', 'etcd3', 'exhibitor', 'kubernetes', 'raft', 'zookeeper'] as const;

/** True when a parsed YAML looks like a member configuration at all (not, e.g., Debian's dcs.yml snippet). */
export function looksLikeMemberConfig(value: unknown): boolean {
  const config = record(value);
  return (
    config !== undefined && ('scope' in config || 'name' in config || 'restapi' in config || 'postgresql' in config)
  );
}

export function memberIdentity(
  value: unknown,
  environment: { scope?: string | undefined; name?: string | undefined; namespace?: string | undefined } = {},
): MemberIdentity {
  const config = record(value) ?? {};
  const restapi = record(config.restapi) ?? {};
  const dcs = DCS_MODULES.find((module) => module in config);
  const dcsSection = dcs === 'etcd3' || dcs === 'etcd' ? dcs : undefined;
  const section = dcsSection ? (record(config[dcsSection]) ?? {}) : {};
  // PATRONI_SCOPE, PATRONI_NAME and PATRONI_NAMESPACE in the process's environment win over the file.
  const scope = environment.scope ?? text(config.scope);
  const name = environment.name ?? text(config.name);
  const listen = text(restapi.listen);
  const connectAddress = text(restapi.connect_address);
  const problems: string[] = [];
  if (!scope) problems.push('no scope');
  if (!name) problems.push('no name');
  if (!connectAddress && !listen) problems.push('no restapi.connect_address or restapi.listen');
  if (!dcs) problems.push('no DCS section');
  else if (!dcsSection) problems.push(`the DCS is ${dcs}, not etcd`);
  const log = record(config.log);
  return {
    scope,
    name,
    namespace: normaliseNamespace(environment.namespace ?? text(config.namespace) ?? 'service'),
    dcs,
    dcsSection,
    dcsCredentials: {
      username: text(section.username),
      passwordSet: section.password !== undefined && section.password !== null && String(section.password) !== '',
    },
    dcsHosts: dcsSection ? etcdHostsOf(section) : undefined,
    restapi: { listen, connectAddress },
    logDir: log ? text(log.dir) : undefined,
    problems,
  };
}

/** Patroni's etcd `host`, `hosts` (comma-separated or a list) and `url`, as `host:port` (2379 when the port is left out). */
export function etcdHostsOf(section: Record<string, unknown>): string[] | undefined {
  const raw: string[] = [];
  const add = (value: unknown): void => {
    if (Array.isArray(value)) value.forEach(add);
    else if (typeof value === 'string') raw.push(...value.split(','));
  };
  add(section.hosts);
  add(section.host);
  add(section.url);
  const hosts = raw.map(etcdHostPort).filter((host) => host !== '');
  return hosts.length > 0 ? [...new Set(hosts)] : undefined;
}

/** `http://H:P/`, `H:P` or `H` as `h:p` (lower case, default port 2379), to compare endpoints named differently. */
export function etcdHostPort(endpoint: string): string {
  const bare = endpoint
    .trim()
    .toLowerCase()
    .replace(/^[a-z][a-z0-9+.-]*:\/\//, '')
    .replace(/\/.*$/, '');
  if (bare === '') return '';
  return /:\d+$/.test(bare) ? bare : `${bare}:2379`;
}

export function normaliseNamespace(namespace: string): string {
  const trimmed = namespace.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? '/' : `/${trimmed}/`;
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** A scalar as Patroni would use it in a string context (YAML may have typed it as a number). */
function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value === '' ? undefined : value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
