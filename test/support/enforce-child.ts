/**
 * A coordinator process for tests: runs `enforceEtcdAuth` exactly as
 * `pgfleet etcd auth enforce` does (connection from the site settings found
 * through PGFLEET_CONFIG_DIR, as `lab env` sets it), and at the phase
 * recorded or the step done named by argv[2] (a phase: `probing`,
 * `resuming`...; a step: `paused`, `probed`, `resumed`, after the action on
 * the fleet and before its record) it either kills itself with SIGKILL (argv[3]
 * `kill`, the default: a crashed or killed coordinator) or stops itself with
 * SIGSTOP (`stop`: a coordinator suspended, to be continued by the test with
 * SIGCONT). No password goes through its command line.
 *
 * It reports on stdout, one JSON line each: {"event":"progress","message"},
 * {"event":"stopping"|"killing","at"}, {"event":"continued"}, then
 * {"event":"done","outcome","runId"} or {"event":"error","code","message"};
 * its exit code is the error's.
 */
import type { EnforcePhase } from '../../src/core/migration/enforce-state.js';
import { isPgfleetError } from '../../src/core/errors.js';
import { loadSiteSettings } from '../../src/adapters/settings/site-settings-file.js';
import { fleetConnectionFromSettings } from '../../src/fleet/fleet-connection.js';
import { enforceEtcdAuth } from '../../src/migration/etcd-auth/enforce-run.js';

const at = process.argv[2] as EnforcePhase | 'paused' | 'probed' | 'resumed';
const action = process.argv[3] === 'stop' ? 'stop' : 'kill';

// Pipes are written synchronously on Linux: a line is out before the process stops or dies.
const report = (event: Record<string, unknown>): void => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};

const hit = async (name: string): Promise<void> => {
  if (name !== at) return;
  report({ event: action === 'stop' ? 'stopping' : 'killing', at: name });
  process.kill(process.pid, action === 'stop' ? 'SIGSTOP' : 'SIGKILL');
  report({ event: 'continued' });
};

try {
  const result = await enforceEtcdAuth(await fleetConnectionFromSettings(loadSiteSettings().settings), {
    afterPhase: hit,
    afterStep: hit,
    onProgress: (message) => report({ event: 'progress', message }),
  });
  report({ event: 'done', outcome: result.outcome, runId: result.state.id });
} catch (error) {
  report({
    event: 'error',
    code: isPgfleetError(error) ? error.code : 'INTERNAL',
    message: error instanceof Error ? error.message : String(error),
  });
  process.exitCode = isPgfleetError(error) ? error.exitCode : 1;
}
