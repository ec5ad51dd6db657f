/**
 * Every failure pgfleet reports is a PgfleetError: a stable code a script can
 * match on, one line saying what went wrong, and a hint saying what to do next.
 * Messages must never carry a secret: callers pass names and paths, not values.
 */

/** Process exit codes, documented in docs/cli.md. */
export const ExitCode = {
  ok: 0,
  /** Findings were reported or changes are pending (plan, audit). */
  findings: 1,
  /** Bad usage, bad input or an environment problem; nothing was changed. */
  usage: 2,
  /** The operation failed and was rolled back. */
  rolledBack: 3,
  /** The operation failed part-way and could not be rolled back automatically. */
  failed: 4,
  /** Another coordinator holds the run lock; nothing was changed. */
  busy: 5,
  /** Interrupted (SIGINT/SIGTERM). */
  interrupted: 130,
} as const;
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export interface PgfleetErrorOptions {
  hint?: string;
  exitCode?: ExitCodeValue;
  cause?: unknown;
  /** Structured, secret-free details for `--output json`. */
  details?: Record<string, unknown>;
}

export class PgfleetError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: ExitCodeValue;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: PgfleetErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'PgfleetError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? ExitCode.usage;
    this.details = options.details;
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      ...(this.hint ? { hint: this.hint } : {}),
      ...(this.details ? { details: this.details } : {}),
    };
  }
}

export function isPgfleetError(value: unknown): value is PgfleetError {
  return value instanceof PgfleetError;
}

/** A short, secret-free description of an unknown thrown value. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
