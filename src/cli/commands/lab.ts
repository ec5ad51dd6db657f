import { type Command, Option } from 'commander';
import { cleanupInterruption, integerOption, runAbandoningOperation, runOperation } from '../command-kit.js';
import { withSubcommandExamples } from '../command-examples.js';
import { LAB_LIMITS } from '../../core/lab/lab-topology.js';
import type { LabStoryRequest, LabUpRequest } from '../../lab/lab-operations.js';

const operations = () => import('../../lab/lab-operations.js');

/** `pgfleet lab up|status|env|down|demo|replay-outage`: the real stack on loopback. Heavy modules load inside actions. */
export function registerLabCommands(program: Command): void {
  const lab = program
    .command('lab')
    .description(
      'run the real stack (etcd, Patroni, PostgreSQL) on 127.0.0.1, or across hosts in network namespaces (--hosts), for demos, tests and benchmarks',
    );

  const dirOption = (): Option =>
    new Option(
      '--dir <dir>',
      'lab directory (default: $PGFLEET_LAB_DIR, which `pgfleet lab env` exports, else $XDG_STATE_HOME/pgfleet/lab, ~/.local/state/pgfleet/lab, or /var/lib/pgfleet/lab as root)',
    );

  lab
    .command('up')
    .description(
      'start etcd and Patroni clusters with PostgreSQL; returns when every cluster has a leader and streaming replicas',
    )
    .option(
      '--clusters <n>',
      `number of Patroni clusters (up to ${LAB_LIMITS.clusters}, as memory allows)`,
      integerOption(1, LAB_LIMITS.clusters),
      2,
    )
    .option('--nodes <n>', 'nodes per cluster', integerOption(1, 5), 2)
    .option('--etcd-members <n>', 'etcd members', integerOption(1, 5), 3)
    .option(
      '--hosts <n>',
      'a multi-host lab (as root): N member hosts and a coordinator, each in its own network namespace with its own address in 10.203.0.0/24 and its own pgfleet prefix; node i of each cluster and etcd member i run on host hi',
      integerOption(2, 9),
    )
    .option('--base-port <port>', 'first port of the lab range (default: a free range)', integerOption(1, 65535))
    .option('--scopes <list>', 'comma-separated cluster names (default: alpha, beta, ...)')
    .option(
      '--timeout <seconds>',
      'hard limit for the start-up (default: 180, plus 4 s per node beyond 45)',
      integerOption(10, 3600),
    )
    .addOption(
      new Option(
        '--etcd-tls [mode]',
        'etcd over TLS with client certificates (issued with pgfleet pki): "https" (the default when given alone) serves https only; "dual" serves http and https with the nodes still on http, to drill `pgfleet etcd tls migrate`',
      )
        .choices(['https', 'dual'])
        .preset('https'),
    )
    .addOption(
      new Option(
        '--etcd-api <api>',
        'the etcd API the nodes use: "v3" (etcd3: section) or "v2" (etcd started with --enable-v2, nodes on the etcd: section), to drill `pgfleet etcd v3 migrate`',
      )
        .choices(['v3', 'v2'])
        .default('v3'),
    )
    .addOption(dirOption())
    .action(async (options: LabUpRequest, command: Command) =>
      runOperation(command, async (output) =>
        // Ctrl-C (or SIGTERM) during the start: what was started is stopped and the lab directory removed; exit 130.
        (await operations()).startLab(options, { interruption: cleanupInterruption, progress: output }),
      ),
    );

  lab
    .command('status')
    .description('etcd members (health, leader) and each cluster member (role, state, timeline, lag, REST URL)')
    .addOption(dirOption())
    .action(async (options: { dir?: string }, command: Command) =>
      runOperation(command, async () => (await operations()).showLabStatus(options.dir)),
    );

  lab
    .command('env')
    .description('print shell exports pointing pgfleet and patronictl at the lab: eval "$(pgfleet lab env)"')
    .option('--node <name>', 'node whose Patroni YAML patronictl uses')
    .addOption(dirOption())
    .action(async (options: { dir?: string; node?: string }, command: Command) =>
      runOperation(command, async () => (await operations()).showLabEnv(options.dir, options.node)),
    );

  lab
    .command('down')
    .description('stop every process the lab started and remove its directory (safe to run twice)')
    .addOption(dirOption())
    .action(async (options: { dir?: string }, command: Command) =>
      runOperation(command, async () => (await operations()).takeLabDown(options.dir)),
    );

  lab
    .command('exec')
    .description(
      "run a command on a host of a multi-host lab: inside its network namespace, with its environment (PGFLEET_CONFIG_DIR, PGFLEET_HOST_NAME, PATRONICTL_CONFIG_FILE); a first word `pgfleet` runs this pgfleet; exits with the command's code",
    )
    .argument('<host>', 'coordinator, h1, h2, ...')
    .argument('<command...>', 'the command and its arguments, after --')
    .addOption(dirOption())
    .action(async (host: string, argv: string[], options: { dir?: string }, command: Command) =>
      runOperation(command, async () =>
        // Ctrl-C reaches the command (same terminal process group): wait for it rather than leave it behind.
        (await operations()).execOnLabHost(options.dir, host, argv, { interruption: cleanupInterruption }),
      ),
    );

  lab
    .command('partition')
    .description(
      'cut a host of a multi-host lab off the others (or only from the hosts given): every packet between them is lost, both ways, and no process is touched; `lab heal` restores it',
    )
    .argument('<host>', 'the host to cut off')
    .option('--from <hosts...>', 'only the links towards these hosts (default: every other host)')
    .addOption(dirOption())
    .action(async (host: string, options: { from?: string[]; dir?: string }, command: Command) =>
      runOperation(command, async () => (await operations()).partitionLabHost(options.dir, host, options.from ?? [])),
    );

  lab
    .command('heal')
    .description("restore every link of a multi-host lab's host that `lab partition` cut (other cuts stay)")
    .argument('<host>', 'the host whose links to restore')
    .addOption(dirOption())
    .action(async (host: string, options: { dir?: string }, command: Command) =>
      runOperation(command, async () => (await operations()).healLabHost(options.dir, host)),
    );

  lab
    .command('etcd-https-only')
    .description(
      'last step of the TLS migration drill: restart each etcd member without its plain-http listener, one at a time, keeping quorum (refused while a node still uses http)',
    )
    .addOption(dirOption())
    .action(async (options: { dir?: string }, command: Command) =>
      runOperation(command, async (output) => (await operations()).dropLabEtcdHttp(options.dir, { progress: output })),
    );

  lab
    .command('demo')
    .description(
      'the main demo: secure an open fleet of 3 clusters while applications write (gate refusal, drill with automatic rollback, enforce, tenant isolation), then stop the lab',
    )
    .option('--keep', 'leave the lab running at the end', false)
    .option('--base-port <port>', 'first port of the lab range (default: a free range)', integerOption(1024, 65535))
    .option(
      '--hosts <n>',
      'the same story across hosts (as root): a multi-host lab, prepare and enforce on the coordinator, the tenant password files handed to each host, `etcd auth apply --host-only` run on each host',
      integerOption(2, 9),
    )
    .addOption(dirOption())
    .action(async (options: LabStoryRequest, command: Command) =>
      // Ctrl-C (or SIGTERM) stops the story, which cleans up (a lab it started is taken down); exit 130 at once.
      runAbandoningOperation(command, async (output, interruption) =>
        (await operations()).tellLabDemo(options, { output, interruption }),
      ),
    );

  lab
    .command('replay-outage')
    .description(
      "replay the outage report's naive runbook on a lab (auth enabled before every node has credentials): the forgotten cluster looks healthy while its DCS writes fail, and has no leader at the next failover; then the lab is restored",
    )
    .option('--keep', 'leave the lab running at the end (a lab that existed before is always kept)', false)
    .option(
      '--base-port <port>',
      'first port of the lab range when it starts one (default: a free range)',
      integerOption(1024, 65535),
    )
    .addOption(dirOption())
    .addHelpText(
      'after',
      "\nThe report's `etcdctl role add-user <role> <user> --prefix /patroni/` does not exist in etcdctl: the real commands are\n  etcdctl role grant-permission <role> --prefix=true readwrite /service/\n  etcdctl user grant-role <user> <role>\nThe replay does every step through etcd's API, never etcdctl with a password on its command line.\n",
    )
    .action(async (options: LabStoryRequest, command: Command) =>
      runAbandoningOperation(command, async (output, interruption) =>
        (await operations()).tellOutageReplay(options, { output, interruption }),
      ),
    );

  lab
    .command('restapi-tls')
    .description(
      "issue REST API certificates for the lab's nodes (CA, server, client) and basic-auth password files, and declare them in the lab settings; `pgfleet restapi secure apply` rolls them out",
    )
    .addOption(
      new Option('--verify-client <mode>', 'client certificates the REST API asks for')
        .choices(['none', 'optional', 'required'])
        .default('optional'),
    )
    .option('--no-basic-auth', 'no basic auth (default: one generated password per cluster)')
    .addOption(dirOption())
    .action(
      async (
        options: { verifyClient: 'none' | 'optional' | 'required'; basicAuth: boolean; dir?: string },
        command: Command,
      ) =>
        runOperation(command, async () =>
          (await operations()).prepareLabRestApi(options.dir, {
            verifyClient: options.verifyClient,
            basicAuth: options.basicAuth,
          }),
        ),
    );

  withSubcommandExamples(lab, 'up', [
    {
      command: 'pgfleet lab up',
      description: '3 etcd members and 2 clusters (alpha, beta) of 2 nodes each, on a free port range',
    },
    {
      command: 'pgfleet lab up --clusters 3 --nodes 3 --scopes alpha,alpha2,beta --dir /tmp/lab',
      description: 'three named clusters of three nodes, in a chosen directory',
    },
    {
      command: 'pgfleet lab up --hosts 3',
      description:
        'as root: a coordinator and 3 hosts, each in its own network namespace (10.203.0.10-13) with its own pgfleet; alpha and beta across h1 and h2, etcd on h1-h3',
    },
    {
      command: 'pgfleet lab up --etcd-tls',
      description: 'etcd on https only, with client certificates; every node and pgfleet use TLS',
    },
    {
      command: 'pgfleet lab up --etcd-tls dual',
      description: 'etcd on http and https, nodes on http: the starting point of `pgfleet etcd tls migrate`',
    },
    {
      command: 'pgfleet lab up --etcd-api v2',
      description:
        "etcd with --enable-v2, nodes on Patroni's etcd: section: the starting point of `pgfleet etcd v3 migrate`",
    },
  ]);
  withSubcommandExamples(lab, 'status', [
    { command: 'pgfleet lab status', description: 'tables of the etcd members and of every cluster member' },
    {
      command: 'pgfleet --output json lab status --dir /tmp/lab',
      description: 'the same as JSON, for the lab in /tmp/lab',
    },
  ]);
  withSubcommandExamples(lab, 'env', [
    {
      command: 'eval "$(pgfleet lab env)"',
      description: 'point pgfleet (its settings) and patronictl at the lab in this shell',
    },
    {
      command: 'pgfleet lab env --node beta-2',
      description: 'the exports, with patronictl using the YAML of node beta-2',
    },
  ]);
  withSubcommandExamples(lab, 'exec', [
    {
      command: 'pgfleet lab exec coordinator -- pgfleet etcd auth status',
      description: "pgfleet on the multi-host lab's coordinator host, with its settings and identity",
    },
    {
      command: 'pgfleet lab exec h1 -- pgfleet etcd auth apply --host-only',
      description: 'apply the members of host h1, on h1',
    },
    { command: 'pgfleet lab exec h2 -- bash', description: 'a shell on host h2 (its namespace and environment)' },
  ]);
  withSubcommandExamples(lab, 'partition', [
    { command: 'pgfleet lab partition h3', description: 'cut host h3 off every other host' },
    {
      command: 'pgfleet lab partition h2 --from coordinator',
      description: 'only the link between h2 and the coordinator: h2 still reaches etcd and its peers',
    },
  ]);
  withSubcommandExamples(lab, 'heal', [{ command: 'pgfleet lab heal h3', description: 'restore every link of h3' }]);
  withSubcommandExamples(lab, 'down', [
    { command: 'pgfleet lab down', description: 'stop the default lab and remove its directory' },
    { command: 'pgfleet lab down --dir /tmp/lab', description: 'the same for the lab in /tmp/lab' },
  ]);
  withSubcommandExamples(lab, 'replay-outage', [
    {
      command: 'pgfleet lab replay-outage',
      description:
        'start a lab, replay the naive runbook, show the hidden breakage and the failed failover, restore, stop',
    },
    {
      command: 'pgfleet lab replay-outage --dir /tmp/lab',
      description: 'the same on the lab already running in /tmp/lab, which is restored and kept',
    },
  ]);
  withSubcommandExamples(lab, 'restapi-tls', [
    {
      command: 'pgfleet lab restapi-tls && pgfleet restapi secure apply',
      description: 'TLS, verify_client optional and basic auth for the lab, rolled out live (with lab env in effect)',
    },
    {
      command: 'pgfleet lab restapi-tls --verify-client required --dir /tmp/lab',
      description: 'ask for client certificates on every call, for the lab in /tmp/lab',
    },
  ]);
  withSubcommandExamples(lab, 'etcd-https-only', [
    {
      command: 'pgfleet lab etcd-https-only',
      description:
        'after `pgfleet etcd tls migrate` on a lab started with --etcd-tls dual: etcd keeps only its https listener',
    },
  ]);
  withSubcommandExamples(lab, 'demo', [
    { command: 'pgfleet lab demo', description: 'the whole story, step by step, then the lab is removed' },
    {
      command: 'pgfleet lab demo --hosts 3',
      description:
        'the same story on 3 hosts and a coordinator, each in its own network namespace, as an operator runs it across hosts',
    },
    {
      command: 'pgfleet lab demo --keep',
      description: 'the same, leaving the lab running to explore it (pgfleet lab down when done)',
    },
  ]);
}
