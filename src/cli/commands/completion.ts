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
        const { describeCommandTree } = await import('../command-tree.js');
        const { completionModel } = await import('../completion/completion-model.js');
        let root = command;
        while (root.parent) root = root.parent;
        const model = completionModel(describeCommandTree(root));
        const script =
          shell === 'bash'
            ? (await import('../completion/bash-completion.js')).renderBashCompletion(model)
            : (await import('../completion/zsh-completion.js')).renderZshCompletion(model);
        // A script whatever --output says: it is meant for a shell.
        process.stdout.write(script);
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
