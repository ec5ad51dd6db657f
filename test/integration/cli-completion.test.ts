import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuiltCli } from '../support/built-cli.js';
import { runCli } from '../support/run-cli.js';
import { buildProgram } from '../../src/cli/program.js';

/** The lab's subcommands as the command tree defines them: what completion must offer after `lab`. */
function labSubcommands(): string[] {
  const lab = buildProgram().commands.find((command) => command.name() === 'lab');
  assert.ok(lab, 'the command tree has a lab command');
  return lab.commands.map((command) => command.name()).sort();
}

function shell(
  program: string,
  script: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(program, ['-c', script, '_', ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('pgfleet completion, sourced by a real shell', () => {
  let dir: string;
  let bashScript: string;
  let zshScript: string;

  before(async () => {
    ensureBuiltCli();
    dir = await mkdtemp(join(tmpdir(), 'pgfleet-completion-'));
    const bash = await runCli(['completion', 'bash']);
    assert.equal(bash.code, 0, bash.stderr);
    bashScript = join(dir, 'pgfleet.bash');
    await writeFile(bashScript, bash.stdout);
    const zsh = await runCli(['completion', 'zsh']);
    assert.equal(zsh.code, 0, zsh.stderr);
    zshScript = join(dir, '_pgfleet');
    await writeFile(zshScript, zsh.stdout);
    await writeFile(join(dir, 'settings.yaml'), 'patroni: {}\n');
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** What bash offers after the words typed (the last one being completed). */
  const bashComplete = async (...words: string[]): Promise<string[]> => {
    const script = `source "${bashScript}" || exit 3
complete -p pgfleet >/dev/null || exit 4
COMP_WORDS=("$@"); COMP_CWORD=$(( \${#COMP_WORDS[@]} - 1 ))
_pgfleet
printf '%s\\n' "\${COMPREPLY[@]}"`;
    const result = await shell('bash', script, ['pgfleet', ...words]);
    assert.equal(result.code, 0, result.stderr);
    return result.stdout
      .split('\n')
      .filter((line) => line.length > 0)
      .sort();
  };

  it('offers the top-level commands', async () => {
    const offered = await bashComplete('');
    for (const command of ['lab', 'etcd', 'settings', 'doctor', 'completion', 'help'])
      assert.ok(offered.includes(command), command);
  });

  it('completes a command from its first letters', async () => {
    assert.deepEqual(await bashComplete('la'), ['lab']);
  });

  it('offers the subcommands of a group, however deep', async () => {
    assert.deepEqual(await bashComplete('lab', ''), labSubcommands());
    assert.ok((await bashComplete('etcd', 'auth', '')).includes('enforce'));
  });

  it("offers a command's own options and the global ones", async () => {
    const offered = await bashComplete('lab', 'up', '--');
    for (const option of ['--clusters', '--nodes', '--dir', '--output', '--settings', '--quiet'])
      assert.ok(offered.includes(option), option);
    assert.ok(!offered.includes('--keep'), '--keep belongs to lab demo');
  });

  it('offers the allowed values of an option with choices, also after the subcommand', async () => {
    assert.deepEqual(await bashComplete('--output', ''), ['json', 'sarif', 'text']);
    assert.deepEqual(await bashComplete('lab', 'status', '-o', 'j'), ['json']);
  });

  it('skips option values when finding the command being completed', async () => {
    assert.deepEqual(await bashComplete('--output', 'json', 'lab', 'st'), ['status']);
  });

  it('offers files for a file option and the shells for completion', async () => {
    assert.deepEqual(await bashComplete('--settings', join(dir, 'sett')), [join(dir, 'settings.yaml')]);
    assert.deepEqual(await bashComplete('completion', ''), ['bash', 'zsh']);
  });

  it('offers the help topics after help', async () => {
    const offered = await bashComplete('help', '');
    for (const topic of ['secure-existing-fleet', 'create-secured-cluster', 'rotate-tenant-password'])
      assert.ok(offered.includes(topic), topic);
  });

  it('gives zsh a script it can parse and run, with the same tree', async () => {
    const syntax = await shell('zsh', `zsh -n "${zshScript}"`, []);
    assert.equal(syntax.code, 0, syntax.stderr);
    // Outside a completion widget: the completion builtins are stubbed to print what they are given.
    const script = `_describe() { print -l -- \${(P)\${@[-1]}} | cut -d: -f1 }
compadd() { shift; print -l -- "$@" }
_files() { print -- "<files $*>" }
_message() { print -- '<message>' }
compset() { : }
compdef() { : }
source "${zshScript}"
words=(pgfleet "$@"); CURRENT=\${#words}
_pgfleet`;
    const complete = async (...words: string[]) => {
      const result = await shell('zsh', script, words);
      assert.equal(result.code, 0, result.stderr);
      return result.stdout
        .split('\n')
        .filter((line) => line.length > 0)
        .sort();
    };
    assert.deepEqual(await complete('lab', ''), labSubcommands());
    assert.deepEqual(await complete('--output', ''), ['json', 'sarif', 'text']);
    assert.ok((await complete('lab', 'up', '--')).includes('--clusters'));
    assert.deepEqual(await complete('lab', 'up', '--dir', ''), ['<files -/>']);
  });
});
