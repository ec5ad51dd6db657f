import { exitCodeTable } from '../exit-code-meanings.js';

/** `pgfleet help exit-codes`, from the ExitCode table itself. */
export function exitCodesText(): string {
  const lines = ['EXIT CODES', '', 'Every pgfleet command ends with one of these codes:', ''];
  for (const row of exitCodeTable()) {
    lines.push(`  ${String(row.code).padStart(3)}  ${row.meaning}`, `       e.g. ${row.examples.replace(/`/g, '')}`);
  }
  lines.push(
    '',
    'Usage errors (unknown command or option, missing or invalid value) print',
    'one line on stderr, with a suggestion where there is a close match.',
    'Other errors print one line and a hint on stderr; with --output json the',
    'error is also printed on stdout as {"error": {"code", "message", "hint"}};',
    'a stack trace only with --debug.',
  );
  return `${lines.join('\n')}\n`;
}
