import { type Command, Option } from 'commander';
import {
  integerOption,
  loadedSiteSettingsOf,
  runOperation,
  siteSettingsOf,
  terminalInterruption,
} from '../command-kit.js';
import type { SecureRequest } from '../../restapi/restapi-operations.js';
import { withSubcommandExamples } from '../command-examples.js';

/**
 * `pgfleet restapi status|probe|secure plan|secure apply`: the Patroni REST
 * API of the members managed on this host, and its protection (TLS, client
 * certificates, basic auth) rolled out to a live fleet.
 */
export function registerRestApiCommands(program: Command): void {
  const restapi = program
    .command('restapi')
    .description(
      'the Patroni REST API of the members on this host: status, probes, and TLS / client certificates / basic auth rolled out safely',
    );

  const operations = () => import('../../restapi/restapi-operations.js');

  restapi
    .command('status')
    .description(
      "each member through pgfleet's own client (the credentials of its YAML, as patronictl): URL, protection, role, state",
    )
    .action(async (_options: unknown, command: Command) =>
      runOperation(command, async () => (await operations()).showRestApiStatus(await siteSettingsOf(command))),
    );

  restapi
    .command('probe')
    .description(
      'what an anonymous client, a client with only the CA, with a client certificate, with the password, and with both can do on GET /patroni and an empty PATCH /config (an unsafe call that writes nothing) of each member, against what its YAML asks for',
    )
    .option('--member <node>', 'probe only this member (its Patroni name)')
    .action(async (options: { member?: string }, command: Command) =>
      runOperation(command, async () => (await operations()).probeRestApi(await siteSettingsOf(command), options)),
    );

  const secure = restapi
    .command('secure')
    .description(
      'roll REST API protection out to the live members of this host: clients first, then TLS, verify_client, basic auth; member by member, verified, stopping at the first failure',
    );
  const authOptions = (sub: Command) =>
    sub
      .addOption(
        new Option(
          '--username <name>',
          'basic-auth user (default: patroni.restapi.authentication.username, else patroni)',
        ),
      )
      .addOption(
        new Option(
          '--password-file <file>',
          'file (0600) holding the basic-auth password; {scope} is replaced by the cluster name (default: patroni.restapi.authentication.password_file)',
        ),
      )
      .addOption(
        new Option(
          '--through <phase>',
          'stop after this phase (a cluster spread over hosts: each phase on every host before the next)',
        ).choices(['client', 'server-tls', 'verify-client', 'basic-auth']),
      );

  authOptions(
    secure
      .command('plan')
      .description(
        'show the ordered steps from what each member has to what the settings ask for; checks every certificate first and changes nothing',
      ),
  ).action(async (options: SecureRequest, command: Command) =>
    runOperation(command, async (progress) =>
      (await operations()).planRestApiSecuring(await loadedSiteSettingsOf(command), { ...options, progress }),
    ),
  );

  authOptions(
    secure
      .command('apply')
      .description(
        'carry the plan out: each step rewrites one YAML (atomic, 0600) and reloads that member, then verifies it; a failed step is undone and apply stops',
      ),
  )
    .addOption(
      new Option(
        '--step-timeout <seconds>',
        'how long a member may take to show its new protection (default: from the cluster loop_wait)',
      ).argParser(integerOption(5, 3600)),
    )
    .action(async (options: SecureRequest & { stepTimeout?: number }, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).applyRestApiSecuringFromSettings(await loadedSiteSettingsOf(command), {
          ...options,
          stepTimeoutMs: options.stepTimeout === undefined ? undefined : options.stepTimeout * 1000,
          // Ctrl-C stops between steps: the member being changed is finished or restored first.
          interruption: terminalInterruption,
          progress,
        }),
      ),
    );

  restapi
    .command('rotate-password')
    .description(
      "a new basic-auth password for the REST API of each cluster's members on this host: the password file (0600, the old one kept until done), every member's restapi.authentication (and ctl.authentication when present), every member reloaded at once through its old password and proven, then the new password let in and the old one refused; rolled back at the first failure",
    )
    .option('--scope <name...>', 'only these clusters (default: every cluster with members here)')
    .option('--check', 'print what would change and what blocks it; change nothing (exit 1 when blocked)')
    .action(async (options: { scope?: string[]; check?: boolean }, command: Command) =>
      runOperation(command, async (progress) =>
        (await import('../../restapi/password-rotation-operations.js')).rotateRestApiPasswordsFromSettings(
          await siteSettingsOf(command),
          { scopes: options.scope ?? [], check: options.check, progress },
        ),
      ),
    );

  withSubcommandExamples(restapi, 'rotate-password', [
    { command: 'pgfleet restapi rotate-password --check', description: 'what would change, and what blocks it' },
    {
      command: 'pgfleet restapi rotate-password --scope alpha',
      description: "a new REST API password for alpha's members here, verified",
    },
  ]);
  withSubcommandExamples(restapi, 'status', [
    { command: 'pgfleet restapi status', description: 'each member on this host, reached as patronictl would' },
  ]);
  withSubcommandExamples(restapi, 'probe', [
    {
      command: 'pgfleet restapi probe',
      description: 'the probe matrix of every member; exit 1 when one differs from what its YAML asks for',
    },
    { command: 'pgfleet --output json restapi probe --member alpha-1', description: 'one member, as JSON' },
  ]);
  withSubcommandExamples(restapi, 'secure plan', [
    {
      command: 'pgfleet restapi secure plan',
      description:
        'the steps to reach patroni.restapi / patroni.ctl of the settings; exit 1 when there are steps to apply',
    },
    {
      command: 'pgfleet restapi secure plan --password-file /etc/pgfleet/restapi-{scope}.password',
      description: 'the same, adding basic auth with one password file per cluster',
    },
  ]);
  withSubcommandExamples(restapi, 'secure apply', [
    {
      command: 'pgfleet restapi secure apply',
      description: 'roll the protection out, member by member, verifying each step',
    },
    {
      command: 'pgfleet restapi secure apply --through client',
      description: 'only the client phase: for clusters spread over hosts, run each phase on every host first',
    },
    {
      command: 'pgfleet --output json restapi secure apply --step-timeout 120',
      description: 'the same with a longer wait per member, reporting as JSON',
    },
  ]);
}
