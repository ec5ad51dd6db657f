import type { Command } from 'commander';
import { globalOptions, outputFor } from '../command-kit.js';
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
    .action(async (_options: unknown, command: Command) => {
      const output = outputFor(command);
      await runCommand(output, async () => {
        const { homedir } = await import('node:os');
        const { stringify } = await import('yaml');
        const { loadSiteSettings, settingsCandidates } = await import('../../adapters/settings/site-settings-file.js');
        const { isRoot } = await import('../../adapters/process/os-user.js');
        const { redactedSettings } = await import('../../core/settings/settings-view.js');
        const { resolveSitePaths } = await import('../../core/settings/site-paths.js');
        const explicit = globalOptions(command).settings;
        const loaded = loadSiteSettings(explicit);
        const paths = resolveSitePaths(loaded.settings, { isRoot: isRoot(), home: homedir(), env: process.env });
        const view = redactedSettings(loaded.settings);
        const searched = explicit ? [explicit] : settingsCandidates();
        const { templateManagedKeys: managedKeysOf } = await import('../../adapters/settings/patroni-template-file.js');
        const { describeManagedKeyInTemplate } = await import('../../core/patroni-config/managed-keys.js');
        const templateManagedKeys = loaded.settings.patroni
          ? await managedKeysOf(loaded.settings.patroni).catch((error: unknown) => {
              output.warn(
                `the Patroni template could not be checked: ${error instanceof Error ? error.message : String(error)}`,
              );
              return [];
            })
          : [];
        for (const found of templateManagedKeys) output.warn(describeManagedKeyInTemplate(found));
        output.data({ source: loaded.source ?? null, searched, settings: view, paths, templateManagedKeys }, () =>
          [
            loaded.source
              ? `# settings from ${loaded.source}`
              : `# no settings file found (searched ${searched.join(', ')}): every default applies`,
            stringify(view, { lineWidth: 0, version: '1.1' }).trimEnd(),
            '# resolved paths',
            stringify({ paths }, { lineWidth: 0, version: '1.1' }).trimEnd(),
          ].join('\n'),
        );
      });
    });

  settings
    .command('schema')
    .description('JSON Schema of the settings file (for editors; also docs/settings.schema.json)')
    .action(async (_options: unknown, command: Command) => {
      const output = outputFor(command);
      await runCommand(output, async () => {
        const { settingsJsonSchemaText } = await import('../../core/settings/settings-json-schema.js');
        // The schema is JSON whatever --output says.
        process.stdout.write(settingsJsonSchemaText());
      });
    });

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
