import { Argument, type Command } from 'commander';
import { withExamples } from '../command-examples.js';
import { runCommand } from '../run-command.js';
import { outputFor } from '../command-kit.js';

/** `pgfleet completion bash|zsh`: a completion script generated from the command tree. */
export function registerCompletionCommand(program: Command): void {
  const completion = program
    .command('completion')
    .description('print a shell completion script for bash or zsh, generated from the command definitions')
    .addArgument(new Argument('<shell>', 'the shell: bash or zsh').choices(['bash', 'zsh']))
    .action(async (shell: 'bash' | 'zsh', _options: unknown, command: Command) => {
      await runCommand(outputFor(command), async () => {
        // A script whatever --output says: it is meant for a shell.
        process.stdout.write((await import('../completion/completion-script.js')).completionScript(shell, command));
      });
    });
  withExamples(completion, [
    { command: 'eval "$(pgfleet completion bash)"', description: 'enable completion in the current bash session' },
    {
      command: 'pgfleet completion bash | sudo tee /etc/bash_completion.d/pgfleet >/dev/null',
      description: 'install it for every bash user (needs the bash-completion package)',
    },
    {
      command: 'pgfleet completion zsh > "${fpath[1]}/_pgfleet"',
      description: 'install it for zsh (a directory on $fpath; restart zsh)',
    },
  ]);
}
