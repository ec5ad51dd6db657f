import type { Command } from 'commander';
import { globalOptions, outputFor, runOperation } from '../command-kit.js';
import { runCommand } from '../run-command.js';
import { withSubcommandExamples } from '../command-examples.js';

/** `pgfleet settings show|schema`: the site settings in effect, and the schema of the file. */
export function registerSettingsCommands(program: Command): void {
  const settings = program
    .command('settings')
    .description('site settings: which file is in effect, its values, its schema');

  settings
    .command('show')
    .description(
      'effective settings (defaults applied, secrets redacted), the file they came from and the paths they resolve to',
    )
    .action(async (_options: unknown, command: Command) =>
      runOperation(command, async (progress) =>
        (await import('../../doctor/settings-operations.js')).showSiteSettings({
          settingsFile: globalOptions(command).settings,
          progress,
        }),
      ),
    );

  settings
    .command('schema')
    .description('JSON Schema of the settings file (for editors; also docs/settings.schema.json)')
    .action(async (_options: unknown, command: Command) =>
      runCommand(outputFor(command), async () => {
        // The schema is JSON whatever --output says.
        process.stdout.write((await import('../../core/settings/settings-json-schema.js')).settingsJsonSchemaText());
      }),
    );

  withSubcommandExamples(settings, 'show', [
    {
      command: 'pgfleet settings show',
      description:
        'the settings in effect (YAML, secrets redacted), the file they come from and the paths they resolve to',
    },
    {
      command: 'pgfleet --settings ./settings.yaml --output json settings show',
      description: 'check a settings file before installing it, as JSON',
    },
  ]);
  withSubcommandExamples(settings, 'schema', [
    {
      command: 'pgfleet settings schema > settings.schema.json',
      description: "the JSON Schema for an editor's YAML language server",
    },
  ]);
}
