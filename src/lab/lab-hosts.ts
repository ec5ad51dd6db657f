import { join } from 'node:path';
import { stringify } from 'yaml';
import { CLUSTER_ROLES, clusterRolePasswordFile } from '../core/instance/instance-layout.js';
import { type LabTopology, labEtcdEndpoints } from '../core/lab/lab-topology.js';
import { COORDINATOR_HOST, labHost, processesOnHost } from '../core/lab/multihost-topology.js';
import { writeFileAtomic } from '../adapters/fs/atomic-file.js';
import { readSecretFile, writeSecretFile } from '../adapters/fs/secret-file.js';
import { tenantDirectoryFromSettings } from '../fleet/settings-tenant-directory.js';
import { etcdRootPasswordFile } from './lab-secrets.js';
import {
  LAB_SETTINGS_FILE,
  LAB_TEMPLATE_FILE,
  labHostDir,
  labNodeInstanceLayout,
  labSiteSettings,
} from './lab-settings.js';
import type { LabState } from './lab-state.js';
import { LAB_PATRONI_TEMPLATE } from './lab-template.js';

/** patronictl's configuration on the coordinator, which runs no member: etcd and the namespace, no scope. */
export const LAB_CTL_FILE = 'patronictl.yaml';

/**
 * What a host of a multi-host lab holds, as a host of a real fleet would:
 * its own settings (etcd on the lab's addresses, its own prefix), the Patroni
 * template, and the secrets provisioning gives it. The lab directory's own
 * secrets are the provisioning store: every cluster's PostgreSQL role
 * passwords go to the hosts running its members, and the etcd admin password
 * to every host (`etcd auth apply` records readiness as the admin). Tenant
 * passwords are not provisioned: `etcd auth prepare` makes them on the
 * coordinator, and the operator hands them over (handOverTenantCredentials).
 */
export async function writeLabHostFiles(dir: string, topology: LabTopology, host: string): Promise<void> {
  const prefix = labHostDir(dir, host);
  const { yaml } = labSiteSettings(prefix, topology);
  await writeFileAtomic(
    join(prefix, LAB_SETTINGS_FILE),
    `# Host ${host} of a multi-host pgfleet lab (${dir}). Run pgfleet here with: pgfleet lab exec ${host} -- pgfleet ...\n${yaml.replace(/^#[^\n]*\n/, '')}`,
    { mode: 0o644, dirMode: 0o755 },
  );
  await writeSecretFile(
    etcdRootPasswordFile(prefix),
    await readSecretFile(etcdRootPasswordFile(dir), 'etcd root password'),
  );
  if (labHost(topology, host).role === 'coordinator') {
    await writeFileAtomic(join(prefix, LAB_CTL_FILE), labCtlYaml(topology), { mode: 0o644 });
    return;
  }
  await writeFileAtomic(join(prefix, LAB_TEMPLATE_FILE), LAB_PATRONI_TEMPLATE, { mode: 0o644 });
  const scopes = [...new Set(processesOnHost(topology, host).nodes.map((node) => node.scope))];
  for (const scope of scopes) {
    for (const role of CLUSTER_ROLES) {
      const secret = await readSecretFile(clusterRolePasswordFile(dir, scope, role), `${scope} ${role} password`);
      await writeSecretFile(clusterRolePasswordFile(prefix, scope, role), secret);
    }
  }
}

function labCtlYaml(topology: LabTopology): string {
  const document = {
    etcd3: { hosts: labEtcdEndpoints(topology).map((url) => url.replace(/^https?:\/\//, '')), protocol: 'http' },
    namespace: '/service/',
  };
  return `# patronictl on the lab's coordinator host: patronictl list SCOPE\n${stringify(document)}`;
}

/**
 * The environment of a lab host, as `lab exec` gives it to a command: that
 * host's settings (PGFLEET_CONFIG_DIR), its identity (PGFLEET_HOST_NAME, which
 * pgfleet records as the host in run locks and readiness records), and
 * patronictl's configuration (the YAML of the host's first node; on the
 * coordinator, a file naming etcd only).
 */
export function labHostEnvironment(state: Pick<LabState, 'dir' | 'topology'>, host: string): Record<string, string> {
  labHost(state.topology, host);
  const prefix = labHostDir(state.dir, host);
  const firstNode = processesOnHost(state.topology, host).nodes[0];
  return {
    PGFLEET_CONFIG_DIR: prefix,
    PGFLEET_LAB_DIR: state.dir,
    PGFLEET_HOST_NAME: host,
    PATRONICTL_CONFIG_FILE: firstNode
      ? labNodeInstanceLayout(state.dir, state.topology, firstNode.name).configFile
      : join(prefix, LAB_CTL_FILE),
  };
}

export interface HandedOverCredentials {
  host: string;
  /** The tenant users whose password file now sits on the host (never the password). */
  users: string[];
  files: string[];
}

/**
 * The operator's hand-over after `etcd auth prepare`: each tenant password
 * file a host needs (the tenants of the clusters it runs members of, no
 * other) copied from the coordinator's secrets directory into the host's,
 * mode 0600, as `scp -p` or `install -m 0600` would. The password goes from
 * file to file: never on a command line, in an environment or a log.
 */
export async function handOverTenantCredentials(
  state: Pick<LabState, 'dir' | 'topology'>,
  host: string,
): Promise<HandedOverCredentials> {
  if (labHost(state.topology, host).role === 'coordinator') return { host, users: [], files: [] };
  const from = labSiteSettings(labHostDir(state.dir, COORDINATOR_HOST), state.topology).settings;
  const to = labSiteSettings(labHostDir(state.dir, host), state.topology).settings;
  const source = await tenantDirectoryFromSettings(from, from.tenancy.secrets_dir!);
  const target = await tenantDirectoryFromSettings(to, to.tenancy.secrets_dir!);
  const namespace = from.patroni!.etcd.namespace;
  const scopes = [...new Set(processesOnHost(state.topology, host).nodes.map((node) => node.scope))];
  const users: string[] = [];
  const files: string[] = [];
  for (const scope of scopes) {
    const user = source.userFor(namespace, scope);
    const secret = await readSecretFile(source.passwordFile(user), `password of etcd user ${user}`);
    await writeSecretFile(target.passwordFile(user), secret);
    users.push(user);
    files.push(target.passwordFile(user));
  }
  return { host, users, files };
}
