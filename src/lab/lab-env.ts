import { instanceLayout } from '../core/instance/instance-layout.js';
import { PgfleetError } from '../core/errors.js';
import { isMultiHost } from '../core/lab/multihost-topology.js';
import { resolveSitePaths } from '../core/settings/site-paths.js';
import { isRoot } from '../adapters/process/os-user.js';
import { labHostEnvironment } from './lab-hosts.js';
import { labHostOfThisProcess } from './lab-network.js';
import { labStateSettings } from './lab-settings.js';
import { loadLabState } from './lab-state.js';

/**
 * Shell exports that point pgfleet (through its settings lookup) and
 * patronictl at a lab. On a multi-host lab, only from inside one of its
 * hosts (that host's environment): elsewhere its addresses do not exist,
 * and pgfleet's packets would follow the machine's own routes.
 */
export async function labEnv(dir: string, node?: string): Promise<Record<string, string>> {
  const state = await loadLabState(dir);
  if (isMultiHost(state.topology)) {
    const host = await labHostOfThisProcess(state);
    if (!host) {
      throw new PgfleetError(
        'LAB_ENV_MULTIHOST',
        `the lab in ${dir} spans hosts whose addresses exist only inside its network namespaces`,
        {
          hint: 'run commands on a host with `pgfleet lab exec HOST -- CMD` (its environment is set there; `pgfleet lab exec h1 -- bash` opens a shell)',
        },
      );
    }
    return labHostEnvironment(state, host);
  }
  const settings = labStateSettings(state);
  const paths = resolveSitePaths(settings, { isRoot: isRoot(), home: '/', env: {} });
  const nodeName = node ?? state.topology.clusters[0]!.nodes[0]!.name;
  return {
    PGFLEET_CONFIG_DIR: state.dir,
    PGFLEET_LAB_DIR: state.dir,
    PATRONICTL_CONFIG_FILE: instanceLayout(paths, nodeName).configFile,
  };
}

export { renderShellExports } from '../core/instance/instance-environment.js';
