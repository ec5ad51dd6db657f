import type { Command } from 'commander';
import { describeCommandTree } from '../command-tree.js';
import { renderBashCompletion } from './bash-completion.js';
import { completionModel } from './completion-model.js';
import { renderZshCompletion } from './zsh-completion.js';

/** The completion script for `shell`, generated from the whole command tree `command` belongs to. */
export function completionScript(shell: 'bash' | 'zsh', command: Command): string {
  let root = command;
  while (root.parent) root = root.parent;
  const model = completionModel(describeCommandTree(root));
  return shell === 'bash' ? renderBashCompletion(model) : renderZshCompletion(model);
}
