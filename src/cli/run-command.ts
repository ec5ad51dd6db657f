import { ExitCode, PgfleetError, describeError } from '../core/errors.js';
import type { CliOutput } from './cli-output.js';

/**
 * Runs a command's action and turns a failure into one clear line plus a
 * hint on stderr (a stack trace only with --debug), and an exit code.
 */
export async function runCommand(output: CliOutput, action: () => Promise<number | void>): Promise<void> {
  try {
    const code = await action();
    process.exitCode = code ?? ExitCode.ok;
  } catch (error) {
    process.exitCode = reportError(output, error);
  }
}

export function reportError(output: CliOutput, error: unknown): number {
  const stderr = process.stderr;
  // A progress line still on the terminal would otherwise share its line with the error.
  output.endProgress();
  if (error instanceof PgfleetError) {
    if (output.json) process.stdout.write(`${JSON.stringify({ error: error.toJSON() }, null, 2)}\n`);
    stderr.write(`${output.paint('error:', 31)} ${error.message} [${error.code}]\n`);
    if (error.hint) stderr.write(`${output.paint('hint:', 36)} ${error.hint}\n`);
    if (output.options.debug && error.stack) stderr.write(`${error.stack}\n`);
    return error.exitCode;
  }
  if (output.json)
    process.stdout.write(
      `${JSON.stringify({ error: { code: 'INTERNAL', message: describeError(error), hint: 'run again with --debug for details' } }, null, 2)}\n`,
    );
  stderr.write(`${output.paint('error:', 31)} ${describeError(error)} [INTERNAL]\n`);
  stderr.write(
    `${output.paint('hint:', 36)} this is a pgfleet bug or an unexpected environment; run again with --debug for details\n`,
  );
  if (output.options.debug && error instanceof Error && error.stack) stderr.write(`${error.stack}\n`);
  return ExitCode.failed;
}
