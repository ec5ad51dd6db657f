/**
 * A rotation coordinator for tests: runs `rotateTenantPasswords` exactly as
 * `pgfleet etcd tenants rotate` does (connection from the site settings found
 * through PGFLEET_CONFIG_DIR, as `lab env` sets it), and kills itself with
 * SIGKILL once the given step of the given cluster is recorded (argv[2],
 * argv[3]), as a crashed or killed coordinator would. No password goes
 * through its command line.
 */
import type { RotationClusterStep } from '../../src/core/migration/rotation-run.js';
import { loadSiteSettings } from '../../src/adapters/settings/site-settings-file.js';
import { fleetConnectionFromSettings } from '../../src/fleet/fleet-connection.js';
import { rotateTenantPasswords } from '../../src/migration/rotation/index.js';

const scope = process.argv[2]!;
const killAfter = process.argv[3] as RotationClusterStep;

await rotateTenantPasswords(
  await fleetConnectionFromSettings(loadSiteSettings().settings),
  { scopes: [scope], all: false },
  {
    afterStep: async (_cluster, step) => {
      if (step === killAfter) process.kill(process.pid, 'SIGKILL');
    },
  },
);
