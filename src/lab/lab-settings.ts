import { join } from 'node:path';
import { stringify } from 'yaml';
import { labEtcdEndpoints, type LabTopology } from '../core/lab/lab-topology.js';
import { type SiteSettings, SiteSettingsSchema } from '../core/settings/site-settings.js';
import { etcdRootPasswordFile } from './lab-secrets.js';

export const LAB_SETTINGS_FILE = 'settings.yaml';
export const LAB_TEMPLATE_FILE = 'patroni-template.yaml';

/**
 * The site settings a lab writes for itself: every later pgfleet command (and
 * the lab's own node configuration) reads the fleet from them, exactly as on
 * a real fleet described by a settings file.
 */
export function labSiteSettingsDocument(dir: string, topology: LabTopology): Record<string, unknown> {
  return {
    prefix: dir,
    postgresql: {
      bin_dir: '/usr/lib/postgresql/15/bin',
      rundir: join(dir, 'run'),
    },
    patroni: {
      etcd: {
        hosts: labEtcdEndpoints(topology).map((url) => url.replace(/^https?:\/\//, '')),
        protocol: 'http',
        namespace: '/service/',
      },
      template: join(dir, LAB_TEMPLATE_FILE),
      // Patroni 3.0.2's validator rejects loopback addresses, which a lab only has.
      enforce_config_validation: false,
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

export function labSiteSettings(dir: string, topology: LabTopology): { settings: SiteSettings; yaml: string } {
  const document = labSiteSettingsDocument(dir, topology);
  return { settings: SiteSettingsSchema.parse(document), yaml: `# Site settings of a pgfleet lab; point pgfleet at them with: eval "$(pgfleet lab env --dir ${dir})"\n${stringify(document)}` };
}
