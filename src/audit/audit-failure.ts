import { ExitCode, PgfleetError, describeError } from '../core/errors.js';

/** Any failure of the audit itself exits 2 ("the audit could not run"), keeping a PgfleetError's code, message and hint. */
export function auditCouldNotRun(error: unknown): PgfleetError {
  if (error instanceof PgfleetError) {
    if (error.exitCode === ExitCode.usage) return error;
    return new PgfleetError(error.code, error.message, {
      exitCode: ExitCode.usage,
      ...(error.hint ? { hint: error.hint } : {}),
      ...(error.details ? { details: error.details } : {}),
      cause: error,
    });
  }
  return new PgfleetError('AUDIT_FAILED', `the audit could not run: ${describeError(error)}`, {
    exitCode: ExitCode.usage,
    hint: 'run again with --debug for details',
    cause: error,
  });
}
