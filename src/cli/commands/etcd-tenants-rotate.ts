import type { Command } from 'commander';
import { runOperation, siteSettingsOf } from '../command-kit.js';
import { withExamples } from '../command-examples.js';

interface RotateOptions {
  all?: boolean;
  check?: boolean;
  hostOnly?: boolean;
  status?: boolean;
  rollback?: boolean;
}

/**
 * `pgfleet etcd tenants rotate SCOPE… | --all`: the guarded rotation of
 * tenants' etcd passwords (plan, pause, new password into the file and every
 * YAML, reload, changepw, probes, resume; rolled back at the first failure).
 */
export function registerTenantRotateCommand(tenants: Command): void {
  const operations = () => import('../../migration/rotation/rotation-operations.js');
  const rotate = tenants
    .command('rotate')
    .description(
      "rotate tenants' etcd passwords, guarded: pause, a new password into the tenant's 0600 file (the old one kept until the run ends) and every member's YAML, reload (proven), changed in etcd, old refused/new accepted, every member's DCS write and the tenant probed, resume; rolled back at the first failure",
    )
    .argument('[scopes...]', 'the clusters to rotate (scope, or /namespace/scope)')
    .option('--all', 'every cluster found in the DCS')
    .option('--check', 'print the plan (and what blocks it) and change nothing; exit 1 when blocked')
    .option(
      '--host-only',
      "on a host running members of a cluster rotated from another host: put the new password (its file copied here) into this host's members, reload them and record them ready",
    )
    .option('--status', 'where the last rotation stands (phase, each cluster’s step, its coordinator), from etcd')
    .option(
      '--rollback',
      'roll back a rotation that did not finish (coordinator killed, or waiting on other hosts): the old password back everywhere, clusters resumed; with --host-only, this host’s members only',
    )
    .action(async (scopes: string[], options: RotateOptions, command: Command) =>
      runOperation(command, async (progress) => {
        const settings = await siteSettingsOf(command);
        if (options.status) return (await operations()).showTenantRotationStatus(settings);
        if (options.rollback)
          return (await operations()).rollbackTenantRotationFromSettings(settings, {
            hostOnly: options.hostOnly,
            progress,
          });
        return (await operations()).rotateTenantPasswordsFromSettings(settings, {
          scopes,
          all: options.all === true,
          check: options.check,
          hostOnly: options.hostOnly,
          progress,
        });
      }),
    );
  withExamples(rotate, [
    { command: 'pgfleet etcd tenants rotate alpha --check', description: 'the plan for alpha; nothing changes' },
    { command: 'pgfleet etcd tenants rotate alpha', description: "rotate alpha's tenant password, guarded" },
    { command: 'pgfleet etcd tenants rotate --all', description: 'every cluster, one after the other' },
    { command: 'pgfleet etcd tenants rotate --status', description: 'a rotation under way, from any host' },
    {
      command: 'pgfleet etcd tenants rotate --rollback',
      description: 'roll back a rotation whose coordinator died (the old password back everywhere)',
    },
    {
      command: 'pgfleet etcd tenants rotate alpha --host-only',
      description: "on another host running alpha's members: the new password into their YAMLs",
    },
  ]);
}
