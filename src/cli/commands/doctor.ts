import type { Command } from 'commander';
import { withExamples } from '../command-examples.js';
import { globalOptions, runOperation } from '../command-kit.js';

/** `pgfleet doctor`: settings file in effect, programs and versions, compatibility, what to install. */
export function registerDoctorCommand(program: Command): void {
  const doctor = program
    .command('doctor')
    .description(
      'which settings file is used, which programs (etcd, patroni, postgres) are installed and in which versions, whether they work together, and what to install',
    )
    .action(async (_options: unknown, command: Command) =>
      runOperation(command, async () =>
        (await import('../../doctor/doctor-operations.js')).showDoctorReport({
          settingsFile: globalOptions(command).settings,
        }),
      ),
    );
  withExamples(doctor, [
    { command: 'pgfleet doctor', description: 'check this host before creating instances or a lab' },
    {
      command: 'pgfleet --settings /etc/pgfleet/settings.yaml doctor --output json',
      description: 'the same for a given settings file, as JSON for a script',
    },
  ]);
}
