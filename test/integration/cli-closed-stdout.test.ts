import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { EtcdClient } from '../../src/adapters/etcd/etcd-client.js';
import { ExitCode } from '../../src/core/errors.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import { labEnv } from '../../src/lab/lab-env.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { CLI_PATH } from '../support/run-cli.js';

/**
 * When the reader of pgfleet's output goes away: `after-first-line` reads up
 * to the first newline and closes its end, as `head -1` does;
 * `before-output` closes it before pgfleet writes anything (`| true`), so
 * the first write meets a closed pipe whatever the size of the output (a
 * document written in one piece fits in the pipe and is often gone before
 * `head -1` closes).
 */
type GoneReader = 'after-first-line' | 'before-output';

interface GoneReaderRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  firstLine: string;
  /** Empty when stderr was closed too. */
  stderr: string;
}

function runWithGoneReader(
  args: string[],
  reader: GoneReader,
  options: { env?: NodeJS.ProcessEnv; closeStderr?: boolean } = {},
): Promise<GoneReaderRun> {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1', ...options.env },
  });
  let read = '';
  let stderr = '';
  if (reader === 'before-output') child.stdout.destroy();
  else {
    child.stdout.on('data', (chunk: Buffer) => {
      read += chunk.toString();
      if (read.includes('\n')) child.stdout.destroy();
    });
  }
  if (options.closeStderr) child.stderr.destroy();
  else child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  return new Promise((resolve) => {
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, firstLine: read.split('\n')[0]!, stderr });
    });
  });
}

/** Quiet: neither the EPIPE nor a stack trace reaches the user. */
function assertQuiet(run: GoneReaderRun, what: string): void {
  assert.equal(run.signal, null, `${what}: pgfleet ended by itself`);
  assert.doesNotMatch(run.stderr, /EPIPE/, `${what}: ${run.stderr}`);
  assert.doesNotMatch(run.stderr, /\n\s+at .+:\d+:\d+/, `${what}: no stack trace\n${run.stderr}`);
}

describe("a reader that goes away ends pgfleet quietly, with the command's own exit code", () => {
  before(() => {
    ensureBuiltCli();
  });

  it('`pgfleet --help | head -1`: the first line of the help, then exit 0 and nothing on stderr', async () => {
    const run = await runWithGoneReader(['--help'], 'after-first-line');
    assert.equal(run.firstLine, 'Usage: pgfleet [options] [command]');
    assertQuiet(run, '--help | head -1');
    assert.equal(run.stderr, '');
    assert.equal(run.code, ExitCode.ok);
  });

  it('--help into a reader closed before it writes: exit 0, nothing on stderr', async () => {
    const run = await runWithGoneReader(['--help'], 'before-output');
    assertQuiet(run, '--help | true');
    assert.equal(run.stderr, '');
    assert.equal(run.code, ExitCode.ok);
  });

  for (const reader of ['after-first-line', 'before-output'] as const) {
    it(`--output json settings schema (a 13 kB document) into a reader that goes ${reader === 'after-first-line' ? 'after its first line' : 'before it is written'}: exit 0, no EPIPE, no stack trace`, async () => {
      const run = await runWithGoneReader(['--output', 'json', 'settings', 'schema'], reader);
      if (reader === 'after-first-line') assert.equal(run.firstLine, '{');
      assertQuiet(run, `settings schema, reader gone ${reader}`);
      assert.equal(run.code, ExitCode.ok);
    });
  }

  it('an error of a data command (--output json, a missing settings file) into a closed stdout: its usage exit code (2), the error on stderr, no stack trace', async () => {
    const run = await runWithGoneReader(
      ['--output', 'json', '--settings', '/nonexistent/pgfleet-settings.yaml', 'settings', 'show'],
      'before-output',
    );
    assertQuiet(run, 'settings show with a missing file');
    assert.match(run.stderr, /^error: .*\[SETTINGS_UNREADABLE\]$/m);
    assert.equal(run.code, ExitCode.usage);
  });
});

describe('a reader that goes away does not cut a command on a live lab short (1 etcd, 1 cluster × 1 node)', () => {
  let lab: TestLab;
  let env: Record<string, string>;

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 1, nodes: 1, etcdMembers: 1 });
    env = await labEnv(lab.dir);
  });
  after(async () => {
    await lab?.down();
  });

  it('--output json etcd auth status into a closed stdout: exit 0, no EPIPE, no stack trace', async () => {
    const run = await runWithGoneReader(['--output', 'json', 'etcd', 'auth', 'status'], 'before-output', { env });
    assertQuiet(run, 'etcd auth status');
    assert.equal(run.code, ExitCode.ok);
  });

  it('etcd auth migrate --yes with stdout and stderr both closed (its first step line meets the closed pipe) runs to its end: exit 0, auth is on', async () => {
    const run = await runWithGoneReader(['etcd', 'auth', 'migrate', '--yes'], 'before-output', {
      env,
      closeStderr: true,
    });
    assert.equal(run.signal, null);
    assert.equal(run.code, ExitCode.ok);
    const etcd = new EtcdClient({ endpoints: labEtcdEndpoints(lab.state.topology) });
    try {
      assert.equal(await etcd.isAuthEnabled(), true, 'the migration went on to enforce');
    } finally {
      await etcd.close();
    }
  });
});
