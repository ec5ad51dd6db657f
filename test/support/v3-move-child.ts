/**
 * A coordinator process for tests: runs `migrateToEtcdV3` exactly as
 * `pgfleet etcd v3 migrate --yes` does (site settings found through
 * PGFLEET_CONFIG_DIR, as `lab env` sets it), and kills itself with SIGKILL
 * right after the given cluster reaches the given milestone (argv[2], argv[3]),
 * as a crashed or killed coordinator would.
 */
import type { MoveMilestone } from '../../src/migration/etcd-v3/cluster-move.js';
import { loadSiteSettings } from '../../src/adapters/settings/site-settings-file.js';
import { migrateToEtcdV3 } from '../../src/migration/etcd-v3/v3-move-run.js';
import { v3MoveFleetFromSettings } from '../../src/migration/etcd-v3/v3-move-fleet.js';

const [killCluster, killAfter] = process.argv.slice(2) as [string, MoveMilestone];

await migrateToEtcdV3(await v3MoveFleetFromSettings(loadSiteSettings().settings), {
  confirm: async () => true,
  progress: (message) => process.stderr.write(`${message}\n`),
  afterMilestone: async (cluster, milestone) => {
    if (cluster === killCluster && milestone === killAfter) process.kill(process.pid, 'SIGKILL');
  },
});
