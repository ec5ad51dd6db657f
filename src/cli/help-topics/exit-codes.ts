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
    '',
    'Exit 5 (busy): guarded runs (etcd auth migrate, enforce and rollback, etcd',
    'tls migrate) take one run lock in etcd, a key under /pgfleet/ held by a lease',
    'its coordinator renews. While another run holds it, the command changes',
    'nothing and names the holder: host, pid, run id, phase, since when. A',
    'killed or stopped coordinator stops renewing; its lock expires by itself',
    "after the lease TTL (30 s, Patroni's default ttl; at once for one killed",
    'on this host), and only then does its run count as interrupted. A run',
    'that finds it lost the lock stops (exit 4).',
  );
  return `${lines.join('\n')}\n`;
}
