import { execFile } from 'node:child_process';
import { ExitCode, PgfleetError } from '../../core/errors.js';

export interface OpensslResult {
  stdout: string;
  stderr: string;
  exitCode: number;
}

export interface OpensslOptions {
  /** What the call is for, in error messages ("read /x/node1.crt"). */
  what: string;
  /** Return a non-zero exit instead of throwing (verify answers 2 for "not OK"). */
  allowFailure?: boolean;
  timeoutMs?: number;
}

const OPENSSL = process.env.PGFLEET_OPENSSL ?? 'openssl';

/**
 * Runs the system openssl with an argument array (no shell). Nothing secret
 * goes through argv: keys are files, and commands that might read a
 * passphrase get `-passin pass:` from the caller so openssl never waits on
 * the terminal. stdin is closed at once for the same reason.
 */
export function runOpenssl(args: readonly string[], options: OpensslOptions): Promise<OpensslResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      OPENSSL,
      [...args],
      { encoding: 'utf8', maxBuffer: 4 * 1024 * 1024, timeout: options.timeoutMs ?? 30_000, windowsHide: true },
      (error, stdout, stderr) => {
        if (error && (error as NodeJS.ErrnoException).code === 'ENOENT') {
          reject(
            new PgfleetError(
              'OPENSSL_MISSING',
              `cannot run ${OPENSSL} to ${options.what}: it is not installed or not on PATH`,
              {
                hint: 'install it (apt-get install openssl), or set PGFLEET_OPENSSL to its path',
                exitCode: ExitCode.usage,
              },
            ),
          );
          return;
        }
        const exitCode = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        if (error && error.killed) {
          reject(
            new PgfleetError('OPENSSL_TIMEOUT', `openssl did not finish in time to ${options.what}`, {
              hint: 'run the same openssl command by hand to see what it waits for',
              exitCode: ExitCode.failed,
            }),
          );
          return;
        }
        if (exitCode !== 0 && !options.allowFailure) {
          reject(
            new PgfleetError('OPENSSL_FAILED', `openssl failed to ${options.what}: ${lastLines(stderr || stdout)}`, {
              hint: 'check the file paths and contents; openssl x509 -in FILE -noout -text shows a certificate',
              exitCode: ExitCode.usage,
            }),
          );
          return;
        }
        resolve({ stdout, stderr, exitCode });
      },
    );
    child.stdin?.end();
  });
}

/** openssl's errors span many lines ("error:0A...:routines:..."); keep the last two, one line. */
export function lastLines(text: string, count = 2): string {
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  return lines.slice(-count).join(' / ') || 'no message';
}
