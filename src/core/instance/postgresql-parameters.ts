import { PgfleetError } from '../errors.js';
import { POSTMASTER_ONLY_PARAMETERS } from '../patroni-config/build-config.js';
import type { ParameterValue } from '../patroni-config/instance-spec.js';

/** `--parameter name=value`, parsed. */
export interface ParameterAssignment {
  name: string;
  value: ParameterValue;
}

const NAME = /^[A-Za-z_][A-Za-z0-9_.]*$/;

/**
 * Parameters Patroni (or pgfleet) sets from its own keys: a value given as a
 * parameter would be ignored or would fight it. Each says where it comes from.
 */
const MANAGED_ELSEWHERE: Record<string, string> = {
  listen_addresses: 'postgresql.listen (--patroni-postgresql-listen at creation)',
  port: 'postgresql.listen (--port at creation)',
  cluster_name: 'the Patroni scope',
  unix_socket_directories: "pgfleet (the instance's socket directory)",
  data_directory: 'postgresql.data_dir',
  config_file: 'Patroni',
  hba_file: 'Patroni (pg_hba goes through --hba-add/--hba-remove)',
  ident_file: 'Patroni (postgresql.pg_ident)',
  primary_conninfo: 'Patroni (it points each replica at the leader)',
  primary_slot_name: 'Patroni (replication slots)',
  synchronous_standby_names: 'Patroni (synchronous_mode in the dynamic configuration)',
};

/** Parses `name=value`. Integers become numbers; every other value stays a string, as PostgreSQL reads it. */
export function parseParameterAssignment(text: string, option = '--parameter'): ParameterAssignment {
  const equals = text.indexOf('=');
  if (equals <= 0) {
    throw new PgfleetError('INSTANCE_PARAMETER_INVALID', `${option} "${text}" is not valid: expected name=value`, {
      hint: `for example ${option} work_mem=16MB`,
    });
  }
  const name = checkParameterName(text.slice(0, equals).trim(), option);
  const raw = text.slice(equals + 1).trim();
  if (/[\n\r\0]/.test(raw)) {
    throw new PgfleetError('INSTANCE_PARAMETER_INVALID', `${option} ${name}: the value contains a line break or NUL`, {
      hint: 'give the value on one line',
    });
  }
  const value: ParameterValue = /^-?\d{1,15}$/.test(raw) ? Number(raw) : raw;
  return { name, value };
}

/** Checks a parameter name (lower-cased, as PostgreSQL folds it) and refuses those managed elsewhere. */
export function checkParameterName(name: string, option = '--parameter'): string {
  if (!NAME.test(name)) {
    throw new PgfleetError('INSTANCE_PARAMETER_INVALID', `${option} "${name}" is not a PostgreSQL parameter name`, {
      hint: 'letters, digits, "_" and "." (custom.name), starting with a letter',
    });
  }
  const folded = name.toLowerCase();
  const owner = MANAGED_ELSEWHERE[folded];
  if (owner) {
    throw new PgfleetError(
      'INSTANCE_PARAMETER_MANAGED',
      `${folded} cannot be set as a parameter: it comes from ${owner}`,
      { hint: `drop ${option} ${folded}` },
    );
  }
  return folded;
}

/** Parameters Patroni reads from the DCS only: a local value is ignored, so they always go through PATCH /config. */
export function isDcsOnlyParameter(name: string): boolean {
  return POSTMASTER_ONLY_PARAMETERS.has(name.toLowerCase());
}

/** Refuses the same parameter given twice (set twice, or set and reset). */
export function checkDistinctParameters(set: readonly ParameterAssignment[], reset: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of [...set.map((assignment) => assignment.name), ...reset]) {
    if (seen.has(name)) {
      throw new PgfleetError('INSTANCE_PARAMETER_TWICE', `parameter ${name} is given twice`, {
        hint: 'give each parameter once (--parameter or --reset-parameter)',
      });
    }
    seen.add(name);
  }
}
