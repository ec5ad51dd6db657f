import { PgfleetError } from '../errors.js';
import type { EtcdSettings } from '../settings/site-settings.js';

/**
 * Where a member's Patroni must reach etcd after `pgfleet etcd tls migrate`:
 * the https endpoints and certificate files of the site settings (or a
 * member's own files). Patroni 3.0.2 reads these keys only at start.
 */
export interface EtcdTlsTarget {
  hosts: string[];
  protocol: 'https';
  cacert?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

/** Keys of Patroni's etcd section that say where and how to connect: replaced as a whole by the target. */
const CONNECTION_KEYS = ['host', 'hosts', 'url', 'protocol', 'cacert', 'cert', 'key'] as const;
/** Discovery Patroni may use instead of a host list; pgfleet does not rewrite those. */
const DISCOVERY_KEYS = ['proxy', 'srv', 'srv_suffix', 'discovery_srv', 'srv_domain'] as const;

/** The target from the site settings; they must already say https (new instances are then generated on https too). */
export function etcdTlsTargetFromSettings(etcd: EtcdSettings, source = 'the settings'): EtcdTlsTarget {
  if (etcd.protocol !== 'https') {
    throw new PgfleetError(
      'ETCD_TLS_TARGET_NOT_HTTPS',
      `${source}: patroni.etcd.protocol is ${etcd.protocol}; the migration moves members to what the settings say, so they must say https first`,
      {
        hint: "set patroni.etcd.protocol: https, hosts to etcd's https client URLs (host:port), and cacert (plus cert and key if etcd runs with --client-cert-auth)",
      },
    );
  }
  return { hosts: [...etcd.hosts], protocol: 'https', cacert: etcd.cacert, cert: etcd.cert, key: etcd.key };
}

/** The target with a member's own certificate files (e.g. one client certificate per node). */
export function withMemberFiles(
  target: EtcdTlsTarget,
  files: { cacert?: string | undefined; cert?: string | undefined; key?: string | undefined } | undefined,
): EtcdTlsTarget {
  if (!files) return target;
  return {
    ...target,
    ...(files.cacert ? { cacert: files.cacert } : {}),
    ...(files.cert ? { cert: files.cert } : {}),
    ...(files.key ? { key: files.key } : {}),
  };
}

/** A member's DCS section moved to the target: connection keys replaced, credentials and everything else kept. */
export function applyEtcdTlsTarget(section: Record<string, unknown>, target: EtcdTlsTarget): Record<string, unknown> {
  const next: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(section)) {
    if (!(CONNECTION_KEYS as readonly string[]).includes(key)) next[key] = value;
  }
  return {
    hosts: [...target.hosts],
    protocol: 'https',
    ...(target.cacert ? { cacert: target.cacert } : {}),
    ...(target.cert ? { cert: target.cert } : {}),
    ...(target.key ? { key: target.key } : {}),
    ...next,
  };
}

/** Whether a member's DCS section already says exactly what the target says. */
export function isOnEtcdTlsTarget(section: Record<string, unknown>, target: EtcdTlsTarget): boolean {
  return (
    section.protocol === 'https' &&
    sameHosts(section.hosts, target.hosts) &&
    section.host === undefined &&
    section.url === undefined &&
    (section.cacert ?? undefined) === target.cacert &&
    (section.cert ?? undefined) === target.cert &&
    (section.key ?? undefined) === target.key
  );
}

/** The discovery key a section uses instead of hosts, if any. */
export function discoveryKeyOf(section: Record<string, unknown>): string | undefined {
  return DISCOVERY_KEYS.find((key) => section[key] !== undefined);
}

/** "http 127.0.0.1:2379, 127.0.0.1:2380": how a member reaches etcd now, for reports. */
export function describeEtcdConnection(section: Record<string, unknown>): string {
  const protocol =
    typeof section.protocol === 'string'
      ? section.protocol
      : typeof section.url === 'string'
        ? String(section.url).split(':')[0]
        : 'http';
  const hosts = Array.isArray(section.hosts)
    ? section.hosts.map(String)
    : typeof section.hosts === 'string'
      ? section.hosts.split(',')
      : typeof section.host === 'string'
        ? [section.host]
        : typeof section.url === 'string'
          ? [String(section.url)]
          : ['127.0.0.1:2379'];
  return `${protocol} ${hosts.join(', ')}`;
}

function sameHosts(value: unknown, hosts: string[]): boolean {
  const list = Array.isArray(value)
    ? value.map(String)
    : typeof value === 'string'
      ? value.split(',').map((host) => host.trim())
      : [];
  return list.length === hosts.length && list.every((host, index) => host === hosts[index]);
}
