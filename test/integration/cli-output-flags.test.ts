import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureBuiltCli } from '../support/built-cli.js';
import { CLI_PATH, type CliResult, runCli } from '../support/run-cli.js';

const SGR = /\u001b\[\d+m/;
/** runCli sets NO_COLOR=1; these runs say themselves what the environment holds. */
const NO_COLOR_ENV = { NO_COLOR: undefined, FORCE_COLOR: undefined } satisfies NodeJS.ProcessEnv;

const hasScript = (() => {
  try {
    execFileSync('script', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * Runs the built pgfleet on a real pseudo-terminal (util-linux `script`):
 * stdout and stderr are that terminal, as when an operator types the command.
 */
function runOnTerminal(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; text: string }> {
  const quote = (word: string) => `'${word.replaceAll("'", "'\\''")}'`;
  const command = [process.execPath, CLI_PATH, ...args].map(quote).join(' ');
  return new Promise((resolve) => {
    execFile(
      'script',
      ['-qefc', command, '/dev/null'],
      { env: { ...process.env, ...NO_COLOR_ENV, ...env }, timeout: 60_000 },
      (error, stdout) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, text: stdout });
      },
    );
  });
}

/**
 * The global output flags on the built CLI, with commands that need no
 * fleet: `pki init` (a detail line under --verbose), the static `audit`
 * (a step line), and an unreadable settings file (an error and a hint).
 */
describe('pgfleet --quiet, --verbose, --no-color, NO_COLOR, FORCE_COLOR and terminals', () => {
  let dir: string;
  let settings: string;
  let pkiCount = 0;
  const outputs: string[] = [];
  const cli = async (args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> => {
    const result = await runCli(args, { env, timeoutMs: 60_000 });
    outputs.push(result.stdout, result.stderr);
    return result;
  };
  const freshPkiDir = () => join(dir, `pki-${++pkiCount}`);
  const missingSettings = () => join(dir, 'missing.yaml');

  before(async () => {
    ensureBuiltCli();
    dir = await mkdtemp(join(tmpdir(), 'pgfleet-output-flags-'));
    settings = join(dir, 'settings.yaml');
    await writeFile(settings, `prefix: ${join(dir, 'prefix')}\n`);
  });
  after(async () => {
    // No run printed key material.
    for (const text of outputs) assert.doesNotMatch(text, /PRIVATE KEY/);
    await rm(dir, { recursive: true, force: true });
  });

  describe('--quiet', () => {
    it('drops the step line of audit but keeps its report on stdout and its exit code', async () => {
      const normal = await cli(['--settings', settings, 'audit', '--min-severity', 'critical']);
      assert.equal(normal.code, 0, normal.stderr);
      assert.match(normal.stderr, /^auditing this host \(static; --live probes etcd and the REST APIs\) with /m);
      const quiet = await cli(['--settings', settings, '--quiet', 'audit', '--min-severity', 'critical']);
      assert.equal(quiet.code, 0, quiet.stderr);
      assert.equal(quiet.stderr, '');
      assert.equal(quiet.stdout, normal.stdout);
      assert.match(quiet.stdout, /no finding at or above critical/);
    });

    it('keeps the JSON data with --output json', async () => {
      const quiet = await cli([
        '--settings',
        settings,
        '-q',
        '--output',
        'json',
        'audit',
        '--min-severity',
        'critical',
      ]);
      assert.equal(quiet.stderr, '');
      assert.equal((JSON.parse(quiet.stdout) as { live: boolean }).live, false);
    });

    it('keeps errors: the error line and its hint on stderr, and the exit code', async () => {
      const quiet = await cli(['--quiet', '--settings', missingSettings(), 'settings', 'show']);
      assert.equal(quiet.code, 2);
      assert.equal(quiet.stdout, '');
      assert.match(
        quiet.stderr,
        /^error: .*missing\.yaml: cannot read the settings file \(ENOENT\) \[SETTINGS_UNREADABLE\]\nhint: /,
      );
    });

    it('wins over --verbose: no detail line, the data still printed', async () => {
      const pkiDir = freshPkiDir();
      const result = await cli(['--quiet', '--verbose', 'pki', 'init', '--dir', pkiDir]);
      assert.equal(result.code, 0, result.stderr);
      assert.equal(result.stderr, '');
      assert.match(result.stdout, /^created the CA in /);
    });
  });

  describe('--verbose', () => {
    it('adds the detail lines on stderr (which PKI directory, and why) and leaves stdout as it was', async () => {
      const plainDir = freshPkiDir();
      const plain = await cli(['pki', 'init', '--dir', plainDir]);
      assert.equal(plain.code, 0, plain.stderr);
      assert.equal(plain.stderr, '');
      const verboseDir = freshPkiDir();
      const verbose = await cli(['--verbose', 'pki', 'init', '--dir', verboseDir]);
      assert.equal(verbose.code, 0, verbose.stderr);
      assert.equal(verbose.stderr, `PKI directory ${verboseDir} (from --dir)\n`);
      assert.match(verbose.stdout, new RegExp(`^created the CA in ${verboseDir} \\(from --dir\\):\\n`));
      assert.doesNotMatch(verbose.stdout, /PKI directory/);
    });
  });

  describe('colours on a pipe', () => {
    const errorRun = (flags: string[], env: NodeJS.ProcessEnv) =>
      cli([...flags, '--settings', missingSettings(), 'settings', 'show'], { ...NO_COLOR_ENV, ...env });

    it('are off by default: stderr is not a terminal', async () => {
      const result = await errorRun([], {});
      assert.match(result.stderr, /^error: /);
      assert.doesNotMatch(result.stderr, SGR);
    });

    it('are on with FORCE_COLOR: the error and hint prefixes in red and cyan', async () => {
      const result = await errorRun([], { FORCE_COLOR: '1' });
      assert.equal(result.code, 2);
      assert.match(
        result.stderr,
        /^\u001b\[31merror:\u001b\[0m .*\[SETTINGS_UNREADABLE\]\n\u001b\[36mhint:\u001b\[0m /,
      );
    });

    it('are never there with --no-color or NO_COLOR, even with FORCE_COLOR', async () => {
      for (const [flags, env] of [
        [['--no-color'], { FORCE_COLOR: '1' }],
        [[], { FORCE_COLOR: '1', NO_COLOR: '1' }],
      ] as const) {
        const result = await errorRun([...flags], env);
        assert.match(result.stderr, /^error: .*\nhint: /, `${flags.join(' ')} ${JSON.stringify(env)}`);
        assert.doesNotMatch(result.stderr, SGR, `${flags.join(' ')} ${JSON.stringify(env)}`);
      }
    });

    it('are never in the data on stdout, even forced', async () => {
      const result = await cli(['--settings', settings, 'audit', '--min-severity', 'critical'], {
        ...NO_COLOR_ENV,
        FORCE_COLOR: '1',
      });
      assert.equal(result.code, 0, result.stderr);
      assert.doesNotMatch(result.stdout, SGR);
    });

    it('step lines are plain lines, with no progress line rewritten in place (stderr is not a terminal)', async () => {
      const result = await cli(['--settings', settings, 'audit', '--min-severity', 'critical'], NO_COLOR_ENV);
      assert.match(result.stderr, /^auditing this host .*\n$/);
      assert.doesNotMatch(result.stderr, /\r|\u001b/);
    });
  });

  describe('on a terminal', { skip: !hasScript && 'script (util-linux) is not installed' }, () => {
    const errorArgs = () => ['--settings', missingSettings(), 'settings', 'show'];

    it('colours the error and hint prefixes', async () => {
      const result = await runOnTerminal(errorArgs());
      assert.equal(result.code, 2, result.text);
      assert.match(
        result.text,
        /\u001b\[31merror:\u001b\[0m .*\[SETTINGS_UNREADABLE\]\r?\n\u001b\[36mhint:\u001b\[0m /,
      );
    });

    it('colours nothing with --no-color, or with NO_COLOR set', async () => {
      for (const [args, env] of [
        [['--no-color', ...errorArgs()], {}],
        [errorArgs(), { NO_COLOR: '1' }],
      ] as const) {
        const result = await runOnTerminal([...args], env);
        assert.equal(result.code, 2, result.text);
        assert.match(result.text, /error: .*\r?\nhint: /);
        assert.doesNotMatch(result.text, SGR, `${args[0]} ${JSON.stringify(env)}`);
      }
    });

    it('colours nothing with FORCE_COLOR=0', async () => {
      const result = await runOnTerminal(errorArgs(), { FORCE_COLOR: '0' });
      assert.match(result.text, /error: /);
      assert.doesNotMatch(result.text, SGR);
    });

    it('--quiet still prints the data and nothing else', async () => {
      const result = await runOnTerminal(['--settings', settings, '--quiet', 'audit', '--min-severity', 'critical']);
      assert.equal(result.code, 0, result.text);
      assert.match(result.text, /^no finding at or above critical/);
      assert.doesNotMatch(result.text, /auditing this host/);
    });
  });
});
