import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import { PgfleetError } from '../../core/errors.js';
import { childEnvironment } from './child-environment.js';

/** Whether systemd runs this host (as sd_booted(3) tells): /run/systemd/system exists. */
export async function systemdIsRunning(): Promise<boolean> {
  return access('/run/systemd/system').then(
    () => true,
    () => false,
  );
}

/**
 * Runs `systemctl` (the system manager as root, the user's manager
 * otherwise). Arguments are unit names and verbs only, never secrets.
 */
export function systemctl(
  args: string[],
  options: { user: boolean },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return runProgram('systemctl', [...(options.user ? ['--user'] : []), ...args]);
}

export async function systemctlOrFail(args: string[], options: { user: boolean }): Promise<void> {
  const result = await systemctl(args, options);
  if (result.code !== 0) {
    throw new PgfleetError(
      'SYSTEMCTL_FAILED',
      `systemctl ${args.join(' ')} failed: ${(result.stderr || result.stdout).trim().split('\n')[0] ?? `exit ${result.code}`}`,
      {
        hint: `see \`systemctl${options.user ? ' --user' : ''} status ${args.at(-1) ?? ''}\` and the journal`,
        exitCode: 4,
      },
    );
  }
}

/** The last lines of a unit's journal. */
export async function journalTail(
  unit: string,
  lines: number,
  options: { user: boolean; since?: Date | undefined },
): Promise<string> {
  const since = options.since ? ['--since', `@${Math.floor(options.since.getTime() / 1000)}`] : [];
  const result = await runProgram('journalctl', [
    ...(options.user ? ['--user'] : []),
    '-u',
    unit,
    '-n',
    String(lines),
    ...since,
    '--no-pager',
    '-o',
    'cat',
  ]);
  return result.stdout;
}

function runProgram(program: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(program, args, { timeout: 120_000, env: childEnvironment() }, (error, stdout, stderr) => {
      if (error && typeof (error as NodeJS.ErrnoException).code === 'string') {
        reject(
          new PgfleetError('SYSTEMD_UNAVAILABLE', `cannot run ${program} (${(error as NodeJS.ErrnoException).code})`, {
            hint: 'install systemd, or run instances in the background (the default, without --service systemd)',
          }),
        );
        return;
      }
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}
