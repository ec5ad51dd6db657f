import { type AuditRule, findingOf } from '../audit-rule.js';

/** A running etcd/patroni/pgfleet (or etcdctl/patronictl) process carries a password in its arguments. */
export const passwordInCommandLineRule: AuditRule = {
  id: 'operations.password-in-command-line',
  category: 'operations',
  title: 'password on a process command line',
  severity: 'high',
  why: 'A command line is readable by every local account (ps, /proc/PID/cmdline) for as long as the process runs, so the password is exposed to the whole host.',
  fix: 'pass the password through a 0600 file or the API instead (pgfleet reads password files and never needs one as an argument; etcdctl prompts when given --user NAME alone), then change the exposed password',
  needs: 'static',
  check(snapshot) {
    return snapshot.processes
      .filter((process) => process.passwordArguments.length > 0)
      .map((process) =>
        findingOf(this, {
          object: { kind: 'process', name: `${process.program}[${process.pid}]` },
          evidence: `process ${process.pid} (${process.program}) carries a password in ${[...new Set(process.passwordArguments)].join(', ')}: ${abbreviate(process.args.join(' '))}`,
        }),
      );
  },
};

function abbreviate(commandLine: string): string {
  return commandLine.length > 160 ? `${commandLine.slice(0, 157)}...` : commandLine;
}
