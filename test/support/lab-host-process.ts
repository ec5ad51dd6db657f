import { spawn } from 'node:child_process';
import { inNamespace } from '../../src/adapters/net/network-namespace.js';
import { labHostProcessEnvironment } from '../../src/lab/lab-agent.js';
import { labHostNamespace } from '../../src/lab/lab-network.js';
import type { LabState } from '../../src/lab/lab-state.js';
import { CLI_PATH } from './run-cli.js';

/** pgfleet started directly in a multi-host lab host's namespace (with its environment), so that a test can stop it or end it. */
export function spawnPgfleetOnHost(state: LabState, host: string, args: string[]) {
  const launch = inNamespace(labHostNamespace(state, host), process.execPath, [CLI_PATH, ...args]);
  const child = spawn(launch.command, launch.args, {
    env: { ...labHostProcessEnvironment(state, host), NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    /** Resolves once a progress line (stderr) matches; rejects if pgfleet ends first. */
    line: (pattern: RegExp) =>
      new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (pattern.test(stderr)) resolve();
        };
        child.stderr.on('data', check);
        check();
        void exited.then(() => reject(new Error(`pgfleet ended before ${pattern}\n${stderr}`)));
      }),
  };
}
