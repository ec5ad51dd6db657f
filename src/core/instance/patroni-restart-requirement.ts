import type { ConfigChange } from './config-changes.js';

/** Whether a change to the local YAML takes effect on `POST /reload`, or needs the Patroni daemon restarted. */
export interface PatroniRestartRequirement {
  needed: boolean;
  /** One sentence per key that needs it: what changed and why reload is not enough. */
  reasons: string[];
}

/** DCS connection keys Patroni 3.0.2 reads once, when it starts (credentials are re-read on reload). */
const DCS_START_ONLY = ['host', 'hosts', 'url', 'proxy', 'srv', 'srv_suffix', 'protocol', 'cacert', 'cert', 'key'];

/**
 * Sorts the changed keys of an instance's YAML (Patroni 3.0.2, facts note):
 * etcd hosts, protocol and certificates, namespace, scope and the member name
 * are read only at start; etcd credentials, the REST API (listen, TLS,
 * authentication), PostgreSQL parameters and pg_hba are re-read on reload.
 */
export function patroniRestartRequirement(changes: readonly Pick<ConfigChange, 'path'>[]): PatroniRestartRequirement {
  const reasons: string[] = [];
  for (const { path } of changes) {
    const [section, key] = path.split('.');
    if ((section === 'etcd' || section === 'etcd3') && key !== undefined && DCS_START_ONLY.includes(key)) {
      reasons.push(
        `${section}.${key} changed: Patroni 3.0.2 reads the etcd hosts, protocol and certificates only when it starts`,
      );
    } else if (path === 'namespace' || path === 'scope') {
      reasons.push(
        `${path} changed: Patroni reads it only when it starts, and the member then belongs to another cluster's keys`,
      );
    } else if (path === 'name') {
      reasons.push('name changed: Patroni registers its member name only when it starts');
    } else if (path === 'postgresql.data_dir') {
      reasons.push('postgresql.data_dir changed: Patroni opens the data directory only when it starts');
    }
  }
  return { needed: reasons.length > 0, reasons: [...new Set(reasons)] };
}
