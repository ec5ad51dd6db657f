import type { Command } from 'commander';
import { integerOption, loadedSiteSettingsOf, runOperation } from '../command-kit.js';
import { withSubcommandExamples } from '../command-examples.js';

const FINAL_STEP_HELP = `
The switch, step by step:
  1. Certificates: a CA, a server certificate per etcd member (with clientAuth too: etcd's
     JSON gateway dials itself with it under --client-cert-auth), a client certificate for
     Patroni and pgfleet (pgfleet pki init / pki issue; --no-common-name if etcd auth is or
     will be on: etcd 3.4's gateway then refuses a client certificate with a CN).
  2. etcd serves http AND https: restart each member, one at a time, with both URLs in
     --listen-client-urls/--advertise-client-urls, plus --cert-file, --key-file,
     --trusted-ca-file and --client-cert-auth.
  3. Settings: patroni.etcd.protocol: https, hosts = the https host:port, cacert, cert, key
     (new instances are then generated on https).
  4. pgfleet etcd tls migrate, on every host that runs members.
  5. pgfleet etcd tls status: nothing pending; then remove the http listener: restart each
     etcd member, one at a time, with https URLs only (a lab: pgfleet lab etcd-https-only).
Between 2 and 5, Patroni 3.0.2 also talks to the client URLs etcd advertises (member list):
a member on https may still send some requests to an http URL, one on http tries https URLs
and moves on. A member's https settings are proven when it restarts (Patroni starts its REST
API only after reaching etcd through them); all traffic is TLS once step 5 is done.
`;

/**
 * `pgfleet etcd tls status|migrate`: the rolling switch of a live fleet from
 * http to https while etcd serves both.
 */
export function registerEtcdTlsCommands(etcd: Command): void {
  const tls = etcd
    .command('tls')
    .description(
      'switch a live fleet from etcd over http to etcd over https, one Patroni restart at a time, PostgreSQL untouched',
    );

  const operations = () => import('../../migration/etcd-tls/tls-operations.js');

  tls
    .command('status')
    .description(
      "etcd over https with the settings' files, each member's protocol, what is still pending, the last migrate run",
    )
    .action(async (_options: unknown, command: Command) =>
      runOperation(command, async () => (await operations()).showEtcdTlsStatus(await loadedSiteSettingsOf(command))),
    );

  tls
    .command('migrate')
    .description(
      'gates, then per cluster: pause, each member on this host gets https in its YAML and a Patroni restart (PostgreSQL keeps running), must write to the DCS again, resume; a member that does not come back is restored and the run stops',
    )
    .option('--dry-run', 'show the gates and the order members would be moved in; change nothing')
    .option(
      '--member-timeout <seconds>',
      'how long a restarted member has to answer and write to the DCS',
      integerOption(5, 600),
      60,
    )
    .option('--skip-gates', 'DRILL ONLY: go on although gates failed, to watch a member fail and be restored')
    .addHelpText('after', FINAL_STEP_HELP)
    .action(async (options: { dryRun?: boolean; memberTimeout: number; skipGates?: boolean }, command: Command) =>
      runOperation(command, async (progress) =>
        (await operations()).migrateEtcdTlsFromSettings(await loadedSiteSettingsOf(command), {
          dryRun: options.dryRun,
          skipGates: options.skipGates,
          memberTimeoutMs: options.memberTimeout * 1000,
          progress,
        }),
      ),
    );

  withSubcommandExamples(tls, 'status', [
    {
      command: 'pgfleet etcd tls status',
      description: 'which members are on https, which still need http, and the last run',
    },
    { command: 'pgfleet --output json etcd tls status', description: 'the same as JSON, for a script' },
  ]);
  withSubcommandExamples(tls, 'migrate', [
    {
      command: 'pgfleet etcd tls migrate --dry-run',
      description: 'the gates and the order of the members, nothing changed',
    },
    {
      command: 'pgfleet etcd tls migrate',
      description: 'move every member on this host to https, one Patroni restart at a time',
    },
    {
      command: 'pgfleet etcd tls migrate --member-timeout 120',
      description: 'the same, giving each member up to 2 minutes to come back',
    },
  ]);
}
