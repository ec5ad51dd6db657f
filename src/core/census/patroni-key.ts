/**
 * The keys Patroni 3.0.2 keeps for a cluster under `<namespace><scope>/`
 * (`patroni/dcs/__init__.py`): `optime` is the legacy `optime/leader`, and a
 * Citus cluster keeps one such set per group under `<namespace><scope>/<group>/`.
 */
export const PATRONI_KEY_KINDS = [
  'members',
  'leader',
  'config',
  'initialize',
  'status',
  'history',
  'failover',
  'sync',
  'failsafe',
  'optime',
] as const;
export type PatroniKeyKind = (typeof PATRONI_KEY_KINDS)[number];

/** A key that has the shape of one of Patroni's, whatever its namespace. */
export interface PatroniKeyShape {
  /** `<namespace><scope>/`: what Patroni reads, watches and a tenant's role must cover. */
  base: string;
  /** Everything before the scope, both slashes kept: `/service/`, `/postgresql-common/`, `/x/y/`. */
  namespace: string;
  scope: string;
  /** The Citus group the key belongs to, when it sits under `<base><group>/`. */
  citusGroup: number | undefined;
  kind: PatroniKeyKind;
  /** The member's name, for `members/<name>`. */
  member: string | undefined;
}

// Tried in this order: a member named `config` is read as a member, not as the
// `config` key of a cluster whose scope is `members`.
const MEMBER = /^(.*\/)?([^/]+)\/members\/([^/]+)$/;
const OPTIME = /^(.*\/)?([^/]+)\/optime\/leader$/;
const NAMED = /^(.*\/)?([^/]+)\/(leader|config|initialize|status|history|failover|sync|failsafe)$/;

/**
 * Reads a key as one of Patroni's when it has the shape, or undefined. A
 * numeric directory right above the Patroni key is read as a Citus group
 * when a scope and a namespace stand above it (`/service/demo/0/leader`); a
 * cluster whose scope is a number directly in its namespace (`/service/0/`)
 * stays a plain cluster.
 */
export function parsePatroniKey(key: string): PatroniKeyShape | undefined {
  let prefix: string;
  let directory: string;
  let kind: PatroniKeyKind;
  let member: string | undefined;
  const asMember = MEMBER.exec(key);
  const asOptime = asMember ? null : OPTIME.exec(key);
  const asNamed = asMember || asOptime ? null : NAMED.exec(key);
  if (asMember) {
    [prefix, directory, member] = [asMember[1] ?? '', asMember[2] ?? '', asMember[3]];
    kind = 'members';
  } else if (asOptime) {
    [prefix, directory] = [asOptime[1] ?? '', asOptime[2] ?? ''];
    kind = 'optime';
  } else if (asNamed) {
    [prefix, directory] = [asNamed[1] ?? '', asNamed[2] ?? ''];
    kind = asNamed[3] as PatroniKeyKind;
  } else {
    return undefined;
  }
  const group = /^\d+$/.test(directory) ? /^(.*\/)?([^/]+)\/$/.exec(prefix) : null;
  if (group && group[1] !== undefined && group[1] !== '' && group[1] !== '/') {
    const [, namespace = '', scope = ''] = group;
    return { base: `${namespace}${scope}/`, namespace, scope, citusGroup: Number(directory), kind, member };
  }
  return { base: `${prefix}${directory}/`, namespace: prefix, scope: directory, citusGroup: undefined, kind, member };
}

/**
 * Patroni's namespace setting as the prefix it writes under: Patroni joins
 * `/`, the namespace and the scope and squeezes repeated slashes, so `service`,
 * `/service` and `/service/` all mean `/service/`.
 */
export function normalizeNamespace(namespace: string | undefined): string {
  const trimmed = (namespace ?? 'service').replace(/\/+/g, '/').replace(/^\/|\/$/g, '');
  return trimmed === '' ? '/' : `/${trimmed}/`;
}
