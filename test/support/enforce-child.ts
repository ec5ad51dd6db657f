/**
 * A coordinator process for tests: runs `enforceEtcdAuth` exactly as
 * `pgfleet etcd auth enforce` does (connection from the site settings found
 * through PGFLEET_CONFIG_DIR, as `lab env` sets it), and kills itself with
 * SIGKILL right after the given phase is recorded (argv[2]), as a crashed or
 * killed coordinator would. No password goes through its command line.
 */
import type { EnforcePhase } from '../../src/core/migration/enforce-state.js';
import { loadSiteSettings } from '../../src/adapters/settings/site-settings-file.js';
import { fleetConnectionFromSettings } from '../../src/fleet/fleet-connection.js';
import { enforceEtcdAuth } from '../../src/migration/etcd-auth/enforce-run.js';

const killAfter = process.argv[2] as EnforcePhase;

await enforceEtcdAuth(await fleetConnectionFromSettings(loadSiteSettings().settings), {
  afterPhase: async (phase) => {
    if (phase === killAfter) process.kill(process.pid, 'SIGKILL');
  },
});
