import { type CompletionModel, type CompletionOption, optionValueCases, shellQuote } from './completion-model.js';

/**
 * A bash completion script for the whole command tree. It walks the words
 * typed so far to find the command being completed (skipping option values),
 * then offers its subcommands, options, or an option's values.
 */
export function renderBashCompletion(model: CompletionModel): string {
  const { program, nodes, globalOptions } = model;
  const fn = `_${program.replace(/[^A-Za-z0-9_]/g, '_')}`;
  const nodeCases = nodes
    .map((node) => {
      const words = node.words.map((w) => w.word).join(' ');
      const options = node.options.map((o) => o.name).join(' ');
      const valueOptions = node.options
        .filter((o) => o.takesValue)
        .map((o) => o.name)
        .join(' ');
      return `    ${shellQuote(node.key)}) words=${shellQuote(words)}; options=${shellQuote(options)}; value_options=${shellQuote(valueOptions)}; argument_kind=${node.argumentKind} ;;`;
    })
    .join('\n');
  const valueCases = optionValueCases(model, valueAction);
  const globalNames = globalOptions.map((o) => o.name).join(' ');
  const globalValueNames = globalOptions
    .filter((o) => o.takesValue)
    .map((o) => o.name)
    .join(' ');

  return `# bash completion for ${program}, generated from its command definitions by \`${program} completion bash\`.
# Install: ${program} completion bash > /etc/bash_completion.d/${program}
#     or:  echo 'eval "$(${program} completion bash)"' >> ~/.bashrc

# Sets words, options, value_options and argument_kind for a command path
# (the program's own options are valid after any subcommand).
${fn}_node() {
  words=''; options=''; value_options=''; argument_kind=none
  case "$1" in
${nodeCases}
    *) return 1 ;;
  esac
  options="$options ${globalNames}"
  value_options="$value_options ${globalValueNames}"
}

# Completes the value of option $2 of command path $1.
${fn}_value() {
  local cur=$3
  case "$1|$2" in
${valueCases}
  esac
}

${fn}() {
  local cur=\${COMP_WORDS[COMP_CWORD]} path='' word i=1 expect=''
  local words options value_options argument_kind
  COMPREPLY=()
  while (( i < COMP_CWORD )); do
    word=\${COMP_WORDS[i]}
    if [[ -n $expect ]]; then
      expect=''
    elif [[ $word == -* ]]; then
      ${fn}_node "$path"
      [[ $word != *=* && " $value_options " == *" $word "* ]] && expect=$word
    else
      ${fn}_node "$path"
      if [[ " $words " == *" $word "* ]]; then
        # Only subcommands extend the path; argument words (help topics...) do not.
        ${fn}_node "\${path:+$path }$word" && path=\${path:+$path }$word
      fi
    fi
    (( i++ ))
  done
  # --option=value: bash splits it into --option, =, value.
  if [[ $cur == = ]]; then cur=''; expect=\${COMP_WORDS[COMP_CWORD-1]}; fi
  if (( COMP_CWORD > 1 )) && [[ \${COMP_WORDS[COMP_CWORD-1]} == = ]]; then expect=\${COMP_WORDS[COMP_CWORD-2]}; fi
  if [[ -n $expect ]]; then
    ${fn}_value "$path" "$expect" "$cur"
    return 0
  fi
  ${fn}_node "$path"
  if [[ $cur == -* ]]; then
    COMPREPLY=( $(compgen -W "$options" -- "$cur") )
  else
    COMPREPLY=( $(compgen -W "$words" -- "$cur") )
    case $argument_kind in
      file) COMPREPLY+=( $(compgen -f -- "$cur") ); compopt -o filenames 2>/dev/null ;;
      directory) COMPREPLY+=( $(compgen -d -- "$cur") ); compopt -o filenames 2>/dev/null ;;
    esac
  fi
  return 0
}

complete -F ${fn} ${program}
`;
}

function valueAction(option: CompletionOption): string {
  switch (option.kind) {
    case 'choice':
      return `COMPREPLY=( $(compgen -W ${shellQuote(option.choices.join(' '))} -- "$cur") )`;
    case 'file':
      return 'COMPREPLY=( $(compgen -f -- "$cur") ); compopt -o filenames 2>/dev/null';
    case 'directory':
      return 'COMPREPLY=( $(compgen -d -- "$cur") ); compopt -o filenames 2>/dev/null';
    default:
      return ':';
  }
}
