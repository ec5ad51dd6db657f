import { join } from 'node:path';
import { stringify } from 'yaml';
import { type InstanceLayout, instanceLayout } from '../core/instance/instance-layout.js';
import { labSettingsScheme } from '../core/lab/lab-etcd-tls.js';
import { labEtcdEndpoints, type LabTopology } from '../core/lab/lab-topology.js';
import { COORDINATOR_HOST, isMultiHost } from '../core/lab/multihost-topology.js';
import { resolveSitePaths } from '../core/settings/site-paths.js';
import { type SiteSettings, SiteSettingsSchema } from '../core/settings/site-settings.js';
import { isRoot } from '../adapters/process/os-user.js';
import { labEtcdTlsPaths } from './lab-etcd-pki.js';
import { etcdRootPasswordFile } from './lab-secrets.js';
import type { LabState } from './lab-state.js';

export const LAB_SETTINGS_FILE = 'settings.yaml';
export const LAB_TEMPLATE_FILE = 'patroni-template.yaml';

/**
 * The site settings a lab writes for itself: every later pgfleet command (and
 * the lab's own node configuration) reads the fleet from them, exactly as on
 * a real fleet described by a settings file.
 */
export function labSiteSettingsDocument(
  dir: string,
  topology: LabTopology,
  etcdScheme: 'http' | 'https' = 'http',
): Record<string, unknown> {
  const client = labEtcdTlsPaths(dir).client;
  return {
    prefix: dir,
    postgresql: {
      bin_dir: '/usr/lib/postgresql/15/bin',
      rundir: join(dir, 'run'),
    },
    patroni: {
      etcd: {
        hosts: labEtcdEndpoints(topology, etcdScheme).map((url) => url.replace(/^https?:\/\//, '')),
        protocol: etcdScheme,
        ...(etcdScheme === 'https' ? { cacert: client.cacert, cert: client.cert, key: client.key } : {}),
        namespace: '/service/',
      },
      template: join(dir, LAB_TEMPLATE_FILE),
      // A former primary rejoins by rewinding instead of a fresh basebackup (data checksums and wal_log_hints are on).
      postgresql: { use_pg_rewind: true },
      // Every YAML pgfleet writes for the lab (instance create/alter, restapi secure apply, etcd tls migrate) is
      // checked by the real `patroni --validate-config`; its findings about loopback connect addresses, ports in
      // use and unreachable etcd hosts, all a lab on 127.0.0.1 has, are told apart and never fail.
      enforce_config_validation: true,
    },
    etcd_admin: {
      username: 'root',
      password_file: etcdRootPasswordFile(dir),
    },
    tenancy: {
      secrets_dir: join(dir, 'secrets', 'tenants'),
    },
  };
}

export function labSiteSettings(
  dir: string,
  topology: LabTopology,
  etcdScheme: 'http' | 'https' = 'http',
): { settings: SiteSettings; yaml: string } {
  const document = labSiteSettingsDocument(dir, topology, etcdScheme);
  return {
    settings: SiteSettingsSchema.parse(document),
    yaml: `# Site settings of a pgfleet lab; point pgfleet at them with: eval "$(pgfleet lab env --dir ${dir})"\n${stringify(document)}`,
  };
}

/**
 * The settings of an existing lab, as `lab up` wrote them for its etcd mode:
 * on a multi-host lab, the coordinator's (the host an operator drives the
 * fleet from).
 */
export function labStateSettings(state: Pick<LabState, 'dir' | 'topology' | 'etcdTls'>): SiteSettings {
  const prefix = isMultiHost(state.topology) ? labHostDir(state.dir, COORDINATOR_HOST) : state.dir;
  return labSiteSettings(prefix, state.topology, labSettingsScheme(state.etcdTls ?? 'off')).settings;
}

/** Where a host of a multi-host lab keeps its own pgfleet prefix: settings, secrets, instance records, Patroni YAMLs. */
export function labHostDir(dir: string, host: string): string {
  return join(dir, 'hosts', host);
}

/** The pgfleet prefix a lab node belongs to: its host's on a multi-host lab, the lab directory otherwise. */
export function labNodePrefix(dir: string, topology: LabTopology, node: string): string {
  const host = topology.clusters.flatMap((cluster) => cluster.nodes).find((candidate) => candidate.name === node)?.host;
  return host ? labHostDir(dir, host) : dir;
}

/** The instance layout (YAML, data, log, pid file) of a lab node, under its host's prefix. */
export function labNodeInstanceLayout(dir: string, topology: LabTopology, node: string): InstanceLayout {
  const prefix = labNodePrefix(dir, topology, node);
  const paths = resolveSitePaths(labSiteSettings(prefix, topology).settings, { isRoot: isRoot(), home: '/', env: {} });
  return instanceLayout(paths, node);
}
