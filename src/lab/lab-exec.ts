import { spawn } from 'node:child_process';
import { PgfleetError } from '../core/errors.js';
import { isMultiHost } from '../core/lab/multihost-topology.js';
import { inNamespace } from '../adapters/net/network-namespace.js';
import { labHostProcessEnvironment, ownEntryCommand } from './lab-agent.js';
import { labHostNamespace } from './lab-network.js';
import { type LabState, loadLabState } from './lab-state.js';

/** This pgfleet, as a command line: what `pgfleet` stands for in `lab exec HOST -- pgfleet ...`. */
export function thisPgfleetCommand(): string[] {
  return ownEntryCommand('../cli/main');
}

/** A multi-host lab, or LAB_NOT_MULTIHOST. */
export async function loadMultiHostLab(dir: string): Promise<LabState> {
  const state = await loadLabState(dir);
  if (!isMultiHost(state.topology) || !state.network) {
    throw new PgfleetError('LAB_NOT_MULTIHOST', `the lab in ${dir} runs on one host: it has no hosts to act on`, {
      hint: 'start a multi-host lab with `pgfleet lab up --hosts 3`',
    });
  }
  return state;
}

/**
 * `pgfleet lab exec HOST -- CMD…`: runs a command inside a lab host's
 * network namespace with that host's environment (its settings through
 * PGFLEET_CONFIG_DIR, its identity PGFLEET_HOST_NAME, PATRONICTL_CONFIG_FILE),
 * as root, its input and output the caller's. A first word `pgfleet` runs
 * this very pgfleet. Resolves to the command's exit code (128 + the signal
 * number when a signal ended it).
 */
export async function labExec(dir: string, host: string, argv: readonly string[]): Promise<number> {
  const state = await loadMultiHostLab(dir);
  if (argv.length === 0)
    throw new PgfleetError('LAB_BAD_INPUT', 'no command to run', { hint: 'pgfleet lab exec h1 -- pgfleet doctor' });
  const command = argv[0] === 'pgfleet' ? [...thisPgfleetCommand(), ...argv.slice(1)] : [...argv];
  const launch = inNamespace(labHostNamespace(state, host), command[0]!, command.slice(1));
  const child = spawn(launch.command, launch.args, { stdio: 'inherit', env: labHostProcessEnvironment(state, host) });
  return new Promise((resolve, reject) => {
    child.once('error', (error) =>
      reject(new PgfleetError('LAB_EXEC_FAILED', `could not run ${command[0]} on ${host}: ${error.message}`)),
    );
    child.once('close', (code, signal) => resolve(code ?? 128 + signalNumber(signal)));
  });
}

function signalNumber(signal: NodeJS.Signals | null): number {
  return signal === 'SIGINT' ? 2 : signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 1;
}
