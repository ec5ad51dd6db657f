import { ExitCode } from '../core/errors.js';

/**
 * What each exit code means to a script, for docs/cli.md and
 * `pgfleet help exit-codes`. Typed over ExitCode: a new code does not
 * compile until it is explained here.
 */
export const EXIT_CODE_MEANINGS: Record<keyof typeof ExitCode, { meaning: string; examples: string }> = {
  ok: {
    meaning: 'success: the command did what it was asked, or found nothing to report',
    examples: 'a plan with no change; `doctor` with everything installed',
  },
  findings: {
    meaning: 'the command ran, and reports findings or pending changes',
    examples:
      '`etcd tenants plan` with changes to make; `audit` with findings at or above `--min-severity`; `patroni config validate` with real errors; `etcd auth apply` with a member not applied',
  },
  usage: {
    meaning: 'bad usage, bad input or an environment problem: nothing was changed',
    examples:
      'unknown command or option, missing required option, invalid settings file, a required program missing (`doctor`), a command group run without its subcommand',
  },
  rolledBack: {
    meaning: 'the operation failed and was rolled back: the fleet is as it was before',
    examples: '`etcd auth enforce` whose probe caught a member without working credentials',
  },
  failed: {
    meaning:
      'the operation failed part-way and could not be rolled back automatically, or pgfleet met an unexpected error',
    examples:
      '`lab up` with a node that did not start (the message names its log); a cluster that could not be paused or resumed; an internal error (run again with `--debug`)',
  },
  busy: {
    meaning:
      'another coordinator is running a guarded run on this fleet (it holds the run lock in etcd): nothing was changed; run again once it is over',
    examples:
      'a second `etcd auth enforce` or `etcd tls migrate` started while one runs; the message names the holder (host, pid, run id, phase, since when)',
  },
  interrupted: {
    meaning: 'interrupted by SIGINT or SIGTERM (Ctrl-C)',
    examples: 'the shell reports 128 + the signal number',
  },
};

export interface ExitCodeRow {
  code: number;
  name: string;
  meaning: string;
  examples: string;
}

export function exitCodeTable(): ExitCodeRow[] {
  return (Object.keys(ExitCode) as (keyof typeof ExitCode)[])
    .map((name) => ({ code: ExitCode[name], name, ...EXIT_CODE_MEANINGS[name] }))
    .sort((a, b) => a.code - b.code);
}
