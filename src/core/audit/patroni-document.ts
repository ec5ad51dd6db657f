import { type ConfigTree, isPlainObject } from '../patroni-config/deep-merge.js';
import type { FindingLocation } from './finding.js';
import type { YamlDocumentFacts } from './fleet-snapshot.js';
import { isSecretSet } from './redaction.js';

/**
 * Reading a Patroni YAML document the way Patroni 3.0.2 reads it, for the
 * rules: which cluster, which DCS section, how etcd and the REST API are
 * reached and protected.
 */
export interface ClusterRef {
  namespace: string;
  scope: string;
  /** `<namespace><scope>`, e.g. `/service/alpha`: the cluster's prefix without its trailing slash. */
  id: string;
}

/** Patroni's namespace with a leading and a trailing slash (`service` → `/service/`). */
export function normalizeNamespace(namespace: string): string {
  const withLeading = namespace.startsWith('/') ? namespace : `/${namespace}`;
  return withLeading.endsWith('/') ? withLeading : `${withLeading}/`;
}

export function clusterRef(namespace: string, scope: string): ClusterRef {
  const ns = normalizeNamespace(namespace);
  return { namespace: ns, scope, id: `${ns}${scope}` };
}

export function clusterOfDocument(document: ConfigTree): ClusterRef | undefined {
  const scope = text(document.scope);
  if (!scope) return undefined;
  return clusterRef(text(document.namespace) ?? '/service/', scope);
}

/** The member id `<namespace><scope>/<name>` of a document, or undefined. */
export function memberOfDocument(document: ConfigTree): string | undefined {
  const cluster = clusterOfDocument(document);
  const name = text(document.name);
  return cluster && name ? `${cluster.id}/${name}` : undefined;
}

export interface DcsSection {
  name: 'etcd3' | 'etcd';
  values: ConfigTree;
}

/** The etcd section Patroni uses: etcd3 (v3 API) first, as Patroni picks it. */
export function dcsOf(document: ConfigTree): DcsSection | undefined {
  for (const name of ['etcd3', 'etcd'] as const) {
    const values = document[name];
    if (isPlainObject(values)) return { name, values };
  }
  return undefined;
}

/** Every etcd address in the section (host, hosts as a list or a comma string, url, proxy). */
export function etcdAddressesOf(values: ConfigTree): string[] {
  const addresses: string[] = [];
  const add = (value: unknown) => {
    if (typeof value === 'string')
      addresses.push(
        ...value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean),
      );
    else if (Array.isArray(value)) for (const item of value) add(item);
  };
  for (const key of ['host', 'hosts', 'url', 'urls', 'proxy']) add(values[key]);
  return addresses;
}

/** http or https, as Patroni decides it: a URL's scheme, else `protocol` (default http). */
export function etcdProtocolOf(values: ConfigTree): 'http' | 'https' {
  const url = etcdAddressesOf(values).find((address) => /^https?:\/\//i.test(address));
  if (url) return url.toLowerCase().startsWith('https') ? 'https' : 'http';
  return text(values.protocol)?.toLowerCase() === 'https' ? 'https' : 'http';
}

export function etcdUsernameOf(values: ConfigTree): string | undefined {
  return text(values.username) ?? text(values.user);
}

export function etcdPasswordSet(values: ConfigTree): boolean {
  return isSecretSet(values.password);
}

export function etcdClientCertSet(values: ConfigTree): boolean {
  return text(values.cert) !== undefined;
}

export function restapiOf(document: ConfigTree): ConfigTree {
  return isPlainObject(document.restapi) ? document.restapi : {};
}

export function ctlOf(document: ConfigTree): ConfigTree {
  return isPlainObject(document.ctl) ? document.ctl : {};
}

/** A non-empty string value, or undefined. */
export function text(value: unknown): string | undefined {
  if (typeof value === 'string' && value.length > 0) return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/** A YAML boolean as Patroni reads it (PyYAML 1.1 already turned on/off/yes/no into booleans; strings are accepted too). */
export function flag(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const lowered = value.toLowerCase();
    if (['true', 'on', 'yes', '1'].includes(lowered)) return true;
    if (['false', 'off', 'no', '0'].includes(lowered)) return false;
  }
  return undefined;
}

/** A finding location at a key of a YAML file, with its line when known. */
export function locationAt(file: YamlDocumentFacts, key?: string): FindingLocation {
  let line: number | undefined;
  // The key itself, or the nearest parent the document has.
  for (let path = key; path; path = path.includes('.') ? path.slice(0, path.lastIndexOf('.')) : undefined) {
    line = file.keyLines[path];
    if (line !== undefined) break;
  }
  return { file: file.path, ...(key ? { key } : {}), ...(line !== undefined ? { line } : {}) };
}

/** How a member is named in a finding: its DCS id when the document says it, else the file. */
export function memberLabel(file: YamlDocumentFacts): string {
  return (file.document && memberOfDocument(file.document)) ?? file.path;
}
