import { instanceLayout } from '../core/instance/instance-layout.js';
import { resolveSitePaths } from '../core/settings/site-paths.js';
import { isRoot } from '../adapters/process/os-user.js';
import { labStateSettings } from './lab-settings.js';
import { loadLabState } from './lab-state.js';

/** Shell exports that point pgfleet (through its settings lookup) and patronictl at a lab. */
export async function labEnv(dir: string, node?: string): Promise<Record<string, string>> {
  const state = await loadLabState(dir);
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
