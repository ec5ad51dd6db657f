import { type Command, Option } from 'commander';
import { globalOptions, integerOption, runOperation, siteSettingsOf } from '../command-kit.js';
import { subcommandAt, withArgumentHelp, withSubcommandExamples } from '../command-examples.js';

/**
 * `pgfleet pki init|issue|show|check`: a small CA for labs and small fleets,
 * with the system openssl. Private keys are written 0600 and never printed;
 * production users bring their own files and use `pki check` on them.
 */
export function registerPkiCommands(program: Command): void {
  const pki = program
    .command('pki')
    .description('certificates for labs and small fleets: a CA, server/client/peer certificates, checks');
  const operations = () => import('../../pki/pki-operations.js');
  const dirOption = () =>
    new Option('--dir <dir>', 'PKI directory (default: $PGFLEET_PKI_DIR, else <prefix>/pki from the site settings)');
  const daysOption = (what: string) =>
    new Option('--days <n>', `lifetime in days (default: ${what})`).argParser(integerOption(1, 36_500));

  pki
    .command('init')
    .description('create the CA: an EC P-256 key (0600) and a self-signed certificate')
    .addOption(dirOption())
    .option('--common-name <cn>', 'subject CN of the CA', 'pgfleet CA')
    .addOption(daysOption('3650'))
    .option('--dry-run', 'show what would be created, change nothing', false)
    .action(async (options: { dir?: string; commonName: string; days?: number; dryRun: boolean }, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).initPkiAuthority({ ...options, settingsFile: globalOptions(command).settings, progress }),
      ),
    );

  const issue = pki.command('issue').description('issue a certificate signed by the CA (key 0600, never printed)');
  const kinds = [
    {
      kind: 'server',
      description:
        'a TLS server certificate (serverAuth) with the SANs clients connect to: Patroni REST API, etcd client URLs',
    },
    { kind: 'client', description: 'a TLS client certificate (clientAuth): patronictl, pgfleet, etcd clients' },
    { kind: 'peer', description: 'a certificate for both ends (serverAuth + clientAuth) with SANs: etcd peer TLS' },
  ] as const;
  for (const { kind, description } of kinds) {
    const sub = issue.command(`${kind} <name>`).description(description).addOption(dirOption());
    if (kind !== 'client')
      sub.option('--san <address>', 'IP address or DNS name clients use to reach it (repeat for each)', collect);
    sub.option('--common-name <cn>', 'subject CN (default: the name)');
    if (kind === 'client')
      sub.option(
        '--no-common-name',
        "no CN in the subject (O=pgfleet instead): an etcd client certificate must have none once etcd auth is on (etcd 3.4's gateway refuses it otherwise)",
      );
    sub
      .addOption(daysOption('825'))
      .option('--force', 'replace an existing certificate of that name with a new key and certificate', false)
      .option('--dry-run', 'show what would be issued, change nothing', false)
      .action(
        async (
          name: string,
          options: {
            dir?: string;
            san?: string[];
            commonName?: string | false;
            days?: number;
            force: boolean;
            dryRun: boolean;
          },
          command: Command,
        ) =>
          runOperation(command, async (progress) =>
            (await operations()).issuePkiCertificate({
              ...options,
              kind,
              name,
              settingsFile: globalOptions(command).settings,
              progress,
            }),
          ),
      );
  }

  pki
    .command('show')
    .description('list the CA and the issued certificates: subject, SANs, issuer, expiry, days left')
    .addOption(dirOption())
    .action(async (options: { dir?: string }, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).showPkiInventory({ ...options, settingsFile: globalOptions(command).settings, progress }),
      ),
    );

  pki
    .command('check')
    .description(
      'check certificate files before using them: validity, key match, CA signature, SANs for each host, usage',
    )
    .requiredOption('--cert <file>', 'certificate (PEM)')
    .option('--key <file>', 'its private key: checks the pair matches and the file is private')
    .option('--ca <file>', 'CA certificate that should have signed it')
    .option('--host <host>', 'address clients connect to, checked against the SANs (repeat for each)', collect)
    .addOption(new Option('--usage <usage>', 'how the certificate is used').choices(['server', 'client']))
    .action(
      async (
        options: { cert: string; key?: string; ca?: string; host?: string[]; usage?: 'server' | 'client' },
        command: Command,
      ) => runOperation(command, async () => (await operations()).checkPkiFiles(options)),
    );

  pki
    .command('renew')
    .description(
      'renew the certificates Patroni uses (REST API server, REST API client, etcd client): a new key and certificate from the same CA, swapped atomically, taken by the members (reload for the REST API, restart while paused for etcd), probed with a TLS handshake; the old one back on failure',
    )
    .addOption(dirOption())
    .addOption(
      new Option('--only <use...>', 'renew only these (default: every one the settings name)').choices([
        'restapi-server',
        'restapi-client',
        'etcd-client',
      ]),
    )
    .addOption(daysOption('825'))
    .option('--check', 'show what would be renewed and what blocks it; change nothing (exit 1 when blocked)')
    .action(
      async (
        options: {
          dir?: string;
          only?: Array<'restapi-server' | 'restapi-client' | 'etcd-client'>;
          days?: number;
          check?: boolean;
        },
        command: Command,
      ) =>
        runOperation(command, async (progress) =>
          (await import('../../pki/renewal-operations.js')).renewCertificatesFromSettings(
            await siteSettingsOf(command),
            {
              pkiDir: options.dir,
              settingsFile: globalOptions(command).settings,
              uses: options.only ?? [],
              days: options.days,
              check: options.check,
              progress,
            },
          ),
        ),
    );

  for (const kind of ['server', 'client', 'peer']) {
    withArgumentHelp(subcommandAt(issue, kind), { name: `certificate name: files <dir>/${kind}/<name>.crt and .key` });
  }
  withSubcommandExamples(pki, 'init', [
    { command: 'pgfleet pki init --dir /etc/pgfleet/pki', description: 'create the CA in /etc/pgfleet/pki' },
    { command: 'pgfleet pki init --dry-run', description: 'show what would be created, write nothing' },
  ]);
  withSubcommandExamples(pki, 'issue server', [
    {
      command: 'pgfleet pki issue server node1 --san 10.0.0.11 --san node1.example.net',
      description: "node1's REST API certificate, valid for the addresses clients use",
    },
  ]);
  withSubcommandExamples(pki, 'issue client', [
    {
      command: 'pgfleet pki issue client patronictl',
      description: 'a client certificate for patronictl and pgfleet (patroni.ctl certfile/keyfile)',
    },
    {
      command: 'pgfleet pki issue client etcd-client --no-common-name',
      description:
        "an etcd client certificate (patroni.etcd cert/key) that etcd's gateway still accepts once etcd auth is on",
    },
  ]);
  withSubcommandExamples(pki, 'issue peer', [
    {
      command: 'pgfleet pki issue peer etcd1 --san 10.0.0.1',
      description: 'a certificate for etcd member etcd1, for both its clients and its peers',
    },
  ]);
  withSubcommandExamples(pki, 'renew', [
    {
      command: 'pgfleet pki renew --check',
      description: 'which certificates in use would be renewed, and what blocks it',
    },
    { command: 'pgfleet pki renew --only restapi-server', description: 'only the REST API server certificate' },
  ]);
  withSubcommandExamples(pki, 'show', [
    { command: 'pgfleet pki show', description: 'the CA and every certificate with its expiry' },
    {
      command: 'pgfleet --output json pki show --dir /etc/pgfleet/pki',
      description: 'the same as JSON, for a given directory',
    },
  ]);
  withSubcommandExamples(pki, 'check', [
    {
      command: 'pgfleet pki check --cert node1.crt --key node1.key --ca ca.crt --host 10.0.0.11 --usage server',
      description: 'check files brought from elsewhere before using them: validity, key pair, CA signature, SANs',
    },
  ]);
}

/** Repeated options (--san, --host) accumulate; no default, so help shows none. */
function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}
