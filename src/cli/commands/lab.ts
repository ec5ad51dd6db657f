import { type Command, Option } from 'commander';
import { integerOption, outputFor } from '../command-kit.js';
import { runCommand } from '../run-command.js';
import { withSubcommandExamples } from '../command-examples.js';
import { LAB_LIMITS } from '../../core/lab/lab-topology.js';

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
    .action(
      async (
        options: {
          clusters: number;
          nodes: number;
          etcdMembers: number;
          hosts?: number;
          basePort?: number;
          scopes?: string;
          timeout?: number;
          dir?: string;
          etcdTls?: 'https' | 'dual';
          etcdApi: string;
        },
        command: Command,
      ) => {
        const output = outputFor(command);
        // Ctrl-C (or SIGTERM) during the start: labUp stops what it started and removes the lab directory, then exits 130.
        await whileInterruptible(
          output,
          { later: 'still stopping the lab processes started so far; a moment' },
          (signal) =>
            runCommand(output, async () => {
              const { parseLabEtcdApi } = await import('../../core/lab/lab-etcd-api.js');
              const shape = {
                signal,
                clusters: options.clusters,
                nodes: options.nodes,
                etcdMembers: options.etcdMembers,
                scopes: options.scopes?.split(',').map((scope) => scope.trim()),
                dir: options.dir,
                etcdTls: options.etcdTls ?? 'off',
                etcdApi: parseLabEtcdApi(options.etcdApi),
                timeoutMs: options.timeout === undefined ? undefined : options.timeout * 1000,
                onProgress: (message: string, transient: boolean) =>
                  transient ? output.progress(message) : output.step(message),
              } as const;
              let result;
              if (options.hosts !== undefined) {
                const { multiHostLabUp } = await import('../../lab/multihost-up.js');
                result = await multiHostLabUp({ ...shape, hosts: options.hosts, basePort: options.basePort });
              } else {
                const { labUp } = await import('../../lab/lab-up.js');
                const { labPortCount } = await import('../../core/lab/lab-topology.js');
                const { findFreePortRange } = await import('../../adapters/process/port-probe.js');
                const basePort = options.basePort ?? (await findFreePortRange(labPortCount(options)));
                result = await labUp({ ...shape, basePort });
              }
              output.endProgress();
              const hosts = result.state.topology.hosts;
              output.data(
                {
                  dir: result.state.dir,
                  elapsedMs: result.elapsedMs,
                  memory: result.memory,
                  settingsFile: result.state.settingsFile,
                  ...(hosts ? { hosts } : {}),
                  clusters: result.readiness.map((r) => ({ scope: r.scope, leader: r.leader, streaming: r.streaming })),
                },
                () =>
                  [
                    `lab ready in ${(result.elapsedMs / 1000).toFixed(1)} s, its ${result.memory.processes} processes holding ${Math.round(result.memory.bytes / 1048576)} MB: ${result.state.dir}`,
                    ...(hosts ? [`  hosts: ${hosts.map((host) => `${host.name} ${host.address}`).join(', ')}`] : []),
                    ...result.readiness.map(
                      (r) => `  ${r.scope}: leader ${r.leader}, streaming: ${r.streaming.join(', ') || 'none'}`,
                    ),
                    hosts
                      ? `use it with: pgfleet lab exec coordinator --dir ${result.state.dir} -- pgfleet etcd auth status`
                      : `use it with: eval "$(pgfleet lab env --dir ${result.state.dir})"`,
                  ].join('\n'),
              );
            }),
        );
      },
    );

  lab
    .command('status')
    .description('etcd members (health, leader) and each cluster member (role, state, timeline, lag, REST URL)')
    .addOption(dirOption())
    .action(async (options: { dir?: string }, command: Command) => {
      const output = outputFor(command);
      await runCommand(output, async () => {
        const { labStatus } = await import('../../lab/lab-status.js');
        const { renderLabStatus } = await import('../../lab/lab-status-table.js');
        const { defaultLabDir } = await import('../../lab/lab-state.js');
        const status = await labStatus(options.dir ?? defaultLabDir());
        output.data(status, () => renderLabStatus(status));
      });
    });

  lab
    .command('env')
    .description('print shell exports pointing pgfleet and patronictl at the lab: eval "$(pgfleet lab env)"')
    .option('--node <name>', 'node whose Patroni YAML patronictl uses')
    .addOption(dirOption())
    .action(async (options: { dir?: string; node?: string }, command: Command) => {
      const output = outputFor(command);
      await runCommand(output, async () => {
        const { labEnv, renderShellExports } = await import('../../lab/lab-env.js');
        const { defaultLabDir } = await import('../../lab/lab-state.js');
        const variables = await labEnv(options.dir ?? defaultLabDir(), options.node);
        output.data(variables, () => renderShellExports(variables));
      });
    });

  lab
    .command('down')
    .description('stop every process the lab started and remove its directory (safe to run twice)')
    .addOption(dirOption())
    .action(async (options: { dir?: string }, command: Command) => {
      const output = outputFor(command);
      await runCommand(output, async () => {
        const { labDown } = await import('../../lab/lab-down.js');
        const { defaultLabDir } = await import('../../lab/lab-state.js');
        const result = await labDown(options.dir ?? defaultLabDir());
        output.data(result, () =>
          result.existed
            ? `lab stopped (${result.stopped.length} processes) and ${result.dir} removed`
            : `no lab at ${result.dir}: nothing to do`,
        );
      });
    });

  lab
    .command('exec')
    .description(
      "run a command on a host of a multi-host lab: inside its network namespace, with its environment (PGFLEET_CONFIG_DIR, PGFLEET_HOST_NAME, PATRONICTL_CONFIG_FILE); a first word `pgfleet` runs this pgfleet; exits with the command's code",
    )
    .argument('<host>', 'coordinator, h1, h2, ...')
    .argument('<command...>', 'the command and its arguments, after --')
    .addOption(dirOption())
    .action(async (host: string, argv: string[], options: { dir?: string }, command: Command) => {
      const output = outputFor(command);
      // Ctrl-C reaches the command (same terminal process group): wait for it rather than leave it behind.
      const keep = (): void => undefined;
      process.on('SIGINT', keep).on('SIGTERM', keep);
      try {
        await runCommand(output, async () => {
          const { labExec } = await import('../../lab/lab-exec.js');
          const { defaultLabDir } = await import('../../lab/lab-state.js');
          return labExec(options.dir ?? defaultLabDir(), host, argv);
        });
      } finally {
        process.off('SIGINT', keep).off('SIGTERM', keep);
      }
    });

  lab
    .command('partition')
    .description(
      'cut a host of a multi-host lab off the others (or only from the hosts given): every packet between them is lost, both ways, and no process is touched; `lab heal` restores it',
    )
    .argument('<host>', 'the host to cut off')
    .option('--from <hosts...>', 'only the links towards these hosts (default: every other host)')
    .addOption(dirOption())
    .action(async (host: string, options: { from?: string[]; dir?: string }, command: Command) => {
      const output = outputFor(command);
      await runCommand(output, async () => {
        const { labPartition } = await import('../../lab/lab-partition.js');
        const { defaultLabDir } = await import('../../lab/lab-state.js');
        const links = await labPartition(options.dir ?? defaultLabDir(), host, options.from ?? []);
        output.data(links, () => `${host} is cut from ${links.cutFrom.join(', ')}: their packets are lost both ways`);
      });
    });

  lab
    .command('heal')
    .description("restore every link of a multi-host lab's host that `lab partition` cut (other cuts stay)")
    .argument('<host>', 'the host whose links to restore')
    .addOption(dirOption())
    .action(async (host: string, options: { dir?: string }, command: Command) => {
      const output = outputFor(command);
      await runCommand(output, async () => {
        const { labHeal } = await import('../../lab/lab-partition.js');
        const { defaultLabDir } = await import('../../lab/lab-state.js');
        const links = await labHeal(options.dir ?? defaultLabDir(), host);
        output.data(links, () =>
          links.cuts.length === 0
            ? `${host} reaches every host again; no link of the lab is cut`
            : `${host} reaches every host again; still cut: ${links.cuts.map(([a, b]) => `${a}-${b}`).join(', ')}`,
        );
      });
    });

  /** Narration on stdout (see lab-narrator): numbered steps, the command an operator would type, what happened, the summary. */
  const narratorFor = async (output: ReturnType<typeof outputFor>) => {
    const { renderLabStatus } = await import('../../lab/lab-status-table.js');
    const { labNarrator } = await import('../lab-narrator.js');
    return labNarrator(output, renderLabStatus);
  };

  type StoryOptions = { keep: boolean; basePort?: number; dir?: string; hosts?: number };
  type Story = (
    options: StoryOptions & { narrator: Awaited<ReturnType<typeof narratorFor>>; signal: AbortSignal },
  ) => Promise<{ summary: string[]; kept: boolean; dir: string }>;
  /**
   * A narrated story on a lab (demo, replay-outage), ending with its summary.
   * Ctrl-C (or SIGTERM) stops it and cleans up (the story takes down a lab it
   * started), then exits 130 at once: the step that was under way is
   * abandoned. Later signals do not cut the cleanup short.
   */
  const storyAction = (load: () => Promise<Story>) => async (options: StoryOptions, command: Command) => {
    const output = outputFor(command);
    const interrupted = await whileInterruptible(
      output,
      { first: 'interrupted: stopping the story and cleaning up', later: 'still cleaning up; a moment' },
      (signal) =>
        runCommand(output, async () => {
          const story = await load();
          const narrator = await narratorFor(output);
          const result = await story({ ...options, narrator, signal });
          narrator.summary(result.summary, `lab ${result.kept ? `kept in ${result.dir}` : 'stopped and removed'}`);
        }),
    );
    // The abandoned step may still hold timers or sockets: do not wait for them.
    if (interrupted) process.exit(process.exitCode ?? 130);
  };

  lab
    .command('etcd-https-only')
    .description(
      'last step of the TLS migration drill: restart each etcd member without its plain-http listener, one at a time, keeping quorum (refused while a node still uses http)',
    )
    .addOption(dirOption())
    .action(async (options: { dir?: string }, command: Command) => {
      const output = outputFor(command);
      await runCommand(output, async () => {
        const { labEtcdHttpsOnly } = await import('../../lab/lab-etcd-https-only.js');
        const { defaultLabDir } = await import('../../lab/lab-state.js');
        const result = await labEtcdHttpsOnly(options.dir ?? defaultLabDir(), {
          onProgress: (message) => output.step(message),
        });
        output.data(result, () =>
          [
            ...result.members.map(
              (member) => `  ${member.name}: https only, healthy after ${member.healthyAfterMs} ms`,
            ),
            `etcd serves https only; http ports ${result.closedHttpPorts.join(', ')} closed`,
          ].join('\n'),
        );
      });
    });

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
    .action(
      storyAction(async () => {
        const { labDemo } = await import('../../lab/lab-demo.js');
        const { multiHostLabDemo } = await import('../../lab/multihost-demo.js');
        return (options) =>
          options.hosts === undefined ? labDemo(options) : multiHostLabDemo({ ...options, hosts: options.hosts });
      }),
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
    .action(storyAction(async () => (await import('../../lab/outage-replay.js')).replayOutage));

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
      ) => {
        const output = outputFor(command);
        await runCommand(output, async () => {
          const { prepareLabRestApiTls } = await import('../../lab/lab-restapi-tls.js');
          const { defaultLabDir } = await import('../../lab/lab-state.js');
          const result = await prepareLabRestApiTls(options.dir ?? defaultLabDir(), {
            verifyClient: options.verifyClient,
            basicAuth: options.basicAuth,
          });
          output.data(result, () =>
            [
              `certificates in ${result.tlsDir} (CA and keys in ${result.pkiDir})`,
              `${result.settingsFile}: patroni.restapi (verify_client ${options.verifyClient}${result.passwordFile ? ', basic auth' : ''}) and patroni.ctl set`,
              'roll it out with: pgfleet restapi secure plan, then pgfleet restapi secure apply',
            ].join('\n'),
          );
        });
      },
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

/**
 * Runs `work` with a signal that the first Ctrl-C (SIGINT) or SIGTERM aborts;
 * later ones only say the clean-up goes on (cutting it short would leave
 * processes behind). Returns whether it was interrupted.
 */
async function whileInterruptible(
  output: ReturnType<typeof outputFor>,
  say: { first?: string; later: string },
  work: (signal: AbortSignal) => Promise<void>,
): Promise<boolean> {
  const interrupt = new AbortController();
  const onSignal = (): void => {
    if (interrupt.signal.aborted) {
      output.warn(say.later);
      return;
    }
    if (say.first) output.warn(say.first);
    interrupt.abort();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    await work(interrupt.signal);
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
  return interrupt.signal.aborted;
}
