import type { Command } from 'commander';

/** `pgfleet lab ...`: registered in the next commit (lab orchestration in progress). */
export function registerLabCommands(program: Command): void {
  program.command('lab').description('run the real stack (etcd, Patroni, PostgreSQL) on loopback for demos, tests and benchmarks');
}
