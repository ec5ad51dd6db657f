import { type CompletionModel, type CompletionOption, optionValueCases, shellQuote } from './completion-model.js';

/**
 * A zsh completion script for the whole command tree, with descriptions.
 * Works both from `eval "$(pgfleet completion zsh)"` (after compinit) and as
 * an autoloaded `_pgfleet` file on $fpath.
 */
export function renderZshCompletion(model: CompletionModel): string {
  const { program, nodes, globalOptions } = model;
  const fn = `_${program.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const nodeCases = nodes
    .map((node) => {
      const names = node.words.map((w) => w.word);
      const subs = node.words.map((w) => shellQuote(`${w.word}:${oneLine(w.description)}`));
      const opts = node.options.map((o) => shellQuote(`${o.name}:${oneLine(o.description)}`));
      const valueOpts = node.options.filter((o) => o.takesValue).map((o) => o.name);
      return [
        `    ${shellQuote(node.key)})`,
        `      names=( ${names.join(' ')} )`,
        `      subs=( ${subs.join(' ')} )`,
        `      opts=( ${opts.join(' ')} )`,
        `      value_opts=( ${valueOpts.join(' ')} )`,
        `      argument_kind=${node.argumentKind} ;;`,
      ].join('\n');
    })
    .join('\n');
  const valueCases = optionValueCases(model, valueAction);
  const globalOpts = globalOptions.map((o) => shellQuote(`${o.name}:${oneLine(o.description)}`)).join(' ');
  const globalValueOpts = globalOptions
    .filter((o) => o.takesValue)
    .map((o) => o.name)
    .join(' ');

  return `#compdef ${program}
# zsh completion for ${program}, generated from its command definitions by \`${program} completion zsh\`.
# Install: ${program} completion zsh > "\${fpath[1]}/_${program}"   (then restart zsh)
#     or:  echo 'eval "$(${program} completion zsh)"' >> ~/.zshrc   (after compinit)

# Sets names, subs, opts, value_opts and argument_kind for a command path
# (the program's own options are valid after any subcommand).
${fn}_node() {
  names=(); subs=(); opts=(); value_opts=(); argument_kind=none
  case "$1" in
${nodeCases}
    *) return 1 ;;
  esac
  opts+=( ${globalOpts} )
  value_opts+=( ${globalValueOpts} )
}

# Completes the value of option $2 of command path $1.
${fn}_value() {
  case "$1|$2" in
${valueCases}
    *) _message 'value' ;;
  esac
}

${fn}() {
  local cmdpath='' word expect='' cur argument_kind
  local -a names subs opts value_opts
  local -i i
  for (( i = 2; i < CURRENT; i++ )); do
    word=\${words[i]}
    if [[ -n $expect ]]; then
      expect=''
    elif [[ $word == -* ]]; then
      ${fn}_node "$cmdpath"
      [[ $word != *=* ]] && (( \${value_opts[(Ie)$word]} )) && expect=$word
    else
      ${fn}_node "$cmdpath"
      if (( \${names[(Ie)$word]} )); then
        # Only subcommands extend the path; argument words (help topics...) do not.
        ${fn}_node "\${cmdpath:+$cmdpath }$word" && cmdpath=\${cmdpath:+$cmdpath }$word
      fi
    fi
  done
  cur=\${words[CURRENT]}
  if [[ -n $expect ]]; then
    ${fn}_value "$cmdpath" "$expect"
    return
  fi
  if [[ $cur == --*=* ]]; then
    word=\${cur%%=*}
    compset -P '*='
    ${fn}_value "$cmdpath" "$word"
    return
  fi
  ${fn}_node "$cmdpath"
  if [[ $cur == -* ]]; then
    _describe -t options 'option' opts
    return
  fi
  local ret=1
  (( \${#subs} )) && _describe -t commands 'command' subs && ret=0
  case $argument_kind in
    file) _files && ret=0 ;;
    directory) _files -/ && ret=0 ;;
  esac
  return ret
}

if [[ \${zsh_eval_context[-1]} == loadautofunc ]]; then
  ${fn} "$@"
else
  compdef ${fn} ${program}
fi
`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function valueAction(option: CompletionOption): string {
  switch (option.kind) {
    case 'choice':
      return `compadd -- ${option.choices.map(shellQuote).join(' ')}`;
    case 'file':
      return '_files';
    case 'directory':
      return '_files -/';
    default:
      return "_message 'value'";
  }
}
