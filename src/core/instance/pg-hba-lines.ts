import { PgfleetError } from '../errors.js';

const TYPES = new Set(['local', 'host', 'hostssl', 'hostnossl', 'hostgssenc', 'hostnogssenc']);

/** A pg_hba line with its fields separated by single spaces: how lines are compared. */
export function normalisePgHbaLine(line: string): string {
  return line.trim().split(/\s+/).join(' ');
}

/** Checks one pg_hba line given on the command line: one line, a known connection type, enough fields. */
export function checkPgHbaLine(line: string, option: string): string {
  if (/[\n\r\0]/.test(line)) {
    throw new PgfleetError('INSTANCE_HBA_INVALID', `${option}: a pg_hba entry is one line`, {
      hint: `give one ${option} per line`,
    });
  }
  const normalised = normalisePgHbaLine(line);
  const fields = normalised.split(' ');
  const type = fields[0] ?? '';
  const minimum = type === 'local' ? 4 : 5;
  if (!TYPES.has(type) || fields.length < minimum) {
    throw new PgfleetError('INSTANCE_HBA_INVALID', `${option} "${normalised}" is not a pg_hba entry`, {
      hint: 'expected TYPE DATABASE USER [ADDRESS] METHOD [OPTIONS], e.g. "host app app_user 10.0.0.0/24 scram-sha-256"',
    });
  }
  return normalised;
}

export interface PgHbaEdit {
  lines: string[];
  added: string[];
  removed: string[];
  /** Asked to add, already there. */
  alreadyPresent: string[];
  /** Asked to remove, not there. */
  notPresent: string[];
}

/**
 * Adds lines at the end (pg_hba is first-match: existing rules keep their
 * precedence) and removes lines, comparing whitespace-normalised text.
 */
export function editPgHba(
  current: readonly string[],
  changes: { add: readonly string[]; remove: readonly string[] },
): PgHbaEdit {
  const remove = new Set(changes.remove.map(normalisePgHbaLine));
  const removed: string[] = [];
  const lines: string[] = [];
  for (const line of current) {
    if (remove.has(normalisePgHbaLine(line))) removed.push(line);
    else lines.push(line);
  }
  const notPresent = [...remove].filter((line) => !removed.some((candidate) => normalisePgHbaLine(candidate) === line));
  const added: string[] = [];
  const alreadyPresent: string[] = [];
  for (const line of changes.add.map(normalisePgHbaLine)) {
    if (lines.some((existing) => normalisePgHbaLine(existing) === line)) alreadyPresent.push(line);
    else {
      lines.push(line);
      added.push(line);
    }
  }
  return { lines, added, removed, alreadyPresent, notPresent };
}
