import type { Command } from 'commander';
import { withExamples } from '../command-examples.js';
import { globalOptions, outputFor } from '../command-kit.js';
import { runCommand } from '../run-command.js';

/** `pgfleet doctor`: settings file in effect, programs and versions, compatibility, what to install. */
export function registerDoctorCommand(program: Command): void {
  const doctor = program
    .command('doctor')
    .description(
      'which settings file is used, which programs (etcd, patroni, postgres) are installed and in which versions, whether they work together, and what to install',
    )
    .action(async (_options: unknown, command: Command) => {
      const output = outputFor(command);
      await runCommand(output, async () => {
        const { doctorReport, renderDoctorReport } = await import('../../doctor/doctor-report.js');
        const { isRoot } = await import('../../adapters/process/os-user.js');
        const { ExitCode } = await import('../../core/errors.js');
        const report = await doctorReport({ explicitSettings: globalOptions(command).settings, asRoot: isRoot() });
        output.data(report, () => renderDoctorReport(report));
        return report.ok ? ExitCode.ok : ExitCode.usage;
      });
    });
  withExamples(doctor, [
    { command: 'pgfleet doctor', description: 'check this host before creating instances or a lab' },
    {
      command: 'pgfleet --settings /etc/pgfleet/settings.yaml doctor --output json',
      description: 'the same for a given settings file, as JSON for a script',
    },
  ]);
}
