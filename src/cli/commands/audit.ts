import { type Command, Option } from 'commander';
import { SEVERITIES } from '../../core/audit/severity.js';
import { withExamples } from '../command-examples.js';
import { VERSION, loadedSiteSettingsOf, runOperation } from '../command-kit.js';

/**
 * `pgfleet audit`: the security posture of the whole fleet, from the
 * settings, the Patroni YAMLs and this host's processes, and with --live
 * from etcd and every member's REST API. Exit 0: nothing at or above
 * --min-severity; 1: findings; 2: the audit could not run.
 */
export function registerAuditCommand(program: Command): void {
  const audit = program
    .command('audit')
    .description(
      'security posture of the fleet: etcd auth and tenants, REST API protection, file modes, passwords on command lines (exit 1 on findings)',
    )
    .option(
      '--live',
      "also probe etcd (auth, token type, version, users, roles, ranges) and every member's REST API (anonymous GET /patroni and an empty PATCH /config, which changes nothing; GET /patroni with pgfleet's own credentials)",
      false,
    )
    .addOption(
      new Option('--min-severity <level>', 'list findings at or above this level; the exit code is 1 when there is any')
        .choices([...SEVERITIES])
        .default('low'),
    )
    .option('--config <file...>', 'also audit these Patroni YAMLs (besides those pgfleet manages)')
    .action(
      async (
        options: { live: boolean; minSeverity: (typeof SEVERITIES)[number]; config?: string[] },
        command: Command,
      ) =>
        runOperation(command, async (progress) =>
          (await import('../../audit/audit-operations.js')).auditFromSettings(await loadedSiteSettingsOf(command), {
            live: options.live,
            minSeverity: options.minSeverity,
            configFiles: options.config,
            sarif: sarifAsked(command),
            toolVersion: VERSION,
            progress,
          }),
        ),
    );
  withExamples(audit, [
    {
      command: 'pgfleet audit',
      description: 'static audit of this host: settings, managed Patroni YAMLs, file modes, processes',
    },
    { command: 'pgfleet audit --live', description: "also probe etcd and every member's REST API" },
    {
      command: 'pgfleet audit --live --min-severity warning',
      description: 'exit 0 only when nothing at warning or above remains (for CI or monitoring)',
    },
    { command: 'pgfleet --output sarif audit --live', description: 'SARIF 2.1.0 for code-scanning dashboards' },
    {
      command: 'pgfleet --output json audit --config /etc/patroni/other.yaml',
      description: 'also audit a Patroni YAML pgfleet does not manage, as JSON (docs/audit-output.schema.json)',
    },
  ]);
}

/** --output sarif (audit only): the global option as given, before it is read as JSON for everything else. */
function sarifAsked(command: Command): boolean {
  return (command.optsWithGlobals() as { output?: string }).output === 'sarif';
}
