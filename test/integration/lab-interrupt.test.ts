import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePortRange } from '../../src/adapters/process/port-probe.js';
import { labPortCount } from '../../src/core/lab/lab-topology.js';
import { labDown } from '../../src/lab/lab-down.js';
import type { LabState } from '../../src/lab/lab-state.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { registerTeardown } from '../support/process-cleanup.js';
import { processesMentioning } from '../support/process-scan.js';
import { type SeenProcess, killLabLeftovers, labProcessTree, pollFor, stillRunning } from '../support/process-tree.js';
import { CLI_PATH } from '../support/run-cli.js';

const SHAPE = { clusters: 1, nodes: 1, etcdMembers: 1 };

interface RunningCli {
  child: ChildProcess;
  /** Set once it has exited. */
  result: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stdout: string;
  stderr: string;
}

/** The built `pgfleet`, started as a user would start it, in the background. */
function startCli(args: string[]): RunningCli {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const running: RunningCli = { child, result: undefined, exited: undefined as never, stdout: '', stderr: '' };
  child.stdout!.on('data', (chunk: Buffer) => (running.stdout += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (running.stderr += chunk.toString()));
  running.exited = new Promise((resolve) =>
    child.once('close', (code, signal) => resolve((running.result = { code, signal }))),
  );
  return running;
}

/** The lab's recorded state, once `lab up` has written it. */
async function recordedState(dir: string): Promise<LabState | undefined> {
  return readFile(join(dir, 'lab.json'), 'utf8').then(
    (text) => JSON.parse(text) as LabState,
    () => undefined,
  );
}

/** Whatever a failed case left: each CLI still running interrupted (it cleans up), then each lab taken down, then anything still there killed. */
async function cleanUpAfter(clis: RunningCli[], dirs: string[], parent: string | undefined): Promise<void> {
  for (const cli of clis) {
    if (cli.result) continue;
    cli.child.kill('SIGINT');
    const timer = setTimeout(() => cli.child.kill('SIGKILL'), 60_000);
    await cli.exited;
    clearTimeout(timer);
  }
  for (const dir of dirs) {
    await labDown(dir).catch(() => undefined);
    killLabLeftovers(dir);
  }
  if (parent) await rm(parent, { recursive: true, force: true });
}

/**
 * For one describe: a parent directory the postgres user that runs Patroni
 * can reach, and the CLIs and labs its cases start, all cleaned up after it
 * (or when the test file is interrupted).
 */
function interruptedRuns(prefix: string): { clis: RunningCli[]; dirs: string[]; parent: () => string } {
  let parent: string | undefined;
  const clis: RunningCli[] = [];
  const dirs: string[] = [];
  const cleanUp = (): Promise<void> => cleanUpAfter(clis, dirs, parent);
  let unregister: (() => void) | undefined;
  before(async () => {
    ensureBuiltCli();
    unregister = registerTeardown(cleanUp);
    parent = await mkdtemp(join(tmpdir(), prefix));
    await chmod(parent, 0o755);
  });
  after(async () => {
    await cleanUp();
    unregister?.();
  });
  return { clis, dirs, parent: () => parent! };
}

describe('lab up interrupted (Ctrl-C, SIGTERM) stops every process it started, removes its directory and exits 130', () => {
  const { clis, dirs, parent } = interruptedRuns('pgfleet-interrupt-');

  /**
   * Starts `lab up` for a 1-etcd, 1 × 1 lab, waits until `ready` finds the
   * moment to interrupt (it returns the lab's processes seen then), sends
   * `signal` and returns what the CLI did.
   */
  const interruptLabUp = async (
    name: string,
    signal: NodeJS.Signals,
    ready: (dir: string) => Promise<SeenProcess[] | undefined>,
  ) => {
    const dir = join(parent(), name);
    dirs.push(dir);
    const basePort = await findFreePortRange(labPortCount(SHAPE));
    const cli = startCli([
      'lab',
      'up',
      '--clusters',
      '1',
      '--nodes',
      '1',
      '--etcd-members',
      '1',
      '--dir',
      dir,
      '--base-port',
      String(basePort),
    ]);
    clis.push(cli);
    const seen = await pollFor(
      'the moment to interrupt lab up',
      90_000,
      async () => {
        if (cli.result)
          throw new Error(`lab up ended (exit ${cli.result.code}) before it could be interrupted\n${cli.stderr}`);
        return ready(dir);
      },
      50,
    );
    const signalledAt = Date.now();
    cli.child.kill(signal);
    const { code, signal: killedBy } = await cli.exited;
    return { dir, cli, seen, code, killedBy, stopMs: Date.now() - signalledAt };
  };

  it('Ctrl-C (SIGINT) while Patroni is bootstrapping PostgreSQL: etcd, Patroni and PostgreSQL stopped, the directory removed, exit 130', async () => {
    // etcd, Patroni, and PostgreSQL's own processes (initdb, then the postmaster, under <dir>/pgsql) all running.
    const run = await interruptLabUp('sigint', 'SIGINT', async (dir) => {
      const tree = labProcessTree(dir);
      const has = (pattern: RegExp) => tree.some((process) => pattern.test(process.cmdline));
      return has(/\/usr\/bin\/etcd /) && has(/patroni /) && has(new RegExp(`-D ${dir}/pgsql/`)) ? tree : undefined;
    });

    assert.equal(run.code, 130, `exit 130 (interrupted)\n${run.cli.stderr}`);
    assert.equal(run.killedBy, null, 'pgfleet handled the signal itself instead of dying of it');
    const errors = run.cli.stderr.split('\n').filter((line) => line.startsWith('error:'));
    assert.equal(errors.length, 1, run.cli.stderr);
    assert.match(
      errors[0]!,
      /lab up interrupted: every process it had started is stopped and .* is removed \[LAB_UP_INTERRUPTED\]/,
    );
    assert.match(run.cli.stderr, /interrupted: stopping the 2 process\(es\) started so far and removing/);

    assert.deepEqual(
      stillRunning(run.seen).map((process) => process.cmdline),
      [],
      'every process seen before Ctrl-C is gone',
    );
    assert.deepEqual(processesMentioning(run.dir), [], 'no process names the lab directory');
    await assert.rejects(stat(run.dir), 'the lab directory is removed');
    assert.ok(run.stopMs < 60_000, `stopped within a minute (took ${run.stopMs} ms)`);
  });

  it('SIGTERM while only etcd has started: etcd stopped, no Patroni started afterwards, the directory removed, exit 130', async () => {
    const run = await interruptLabUp('sigterm', 'SIGTERM', async (dir) => {
      const state = await recordedState(dir);
      return state?.processes.some((process) => process.kind === 'etcd') ? labProcessTree(dir) : undefined;
    });

    assert.equal(run.code, 130, `exit 130 (interrupted)\n${run.cli.stderr}`);
    assert.match(run.cli.stderr, /\[LAB_UP_INTERRUPTED\]/);
    assert.ok(
      run.seen.some((process) => process.cmdline.includes('/usr/bin/etcd ')),
      'etcd was running when the signal came',
    );
    assert.deepEqual(
      stillRunning(run.seen).map((process) => process.cmdline),
      [],
    );
    assert.deepEqual(
      processesMentioning(run.dir),
      [],
      'no process names the lab directory: none was started after the signal either',
    );
    await assert.rejects(stat(run.dir), 'the lab directory is removed');
  });
});

describe('lab demo interrupted (Ctrl-C) in the middle of its story takes its lab down and exits 130', () => {
  const { clis, dirs, parent } = interruptedRuns('pgfleet-demo-interrupt-');

  it('Ctrl-C while applications write: every etcd, Patroni and PostgreSQL process stopped, the directory removed, nothing said after the interruption but the clean-up', async () => {
    const dir = join(parent(), 'lab');
    dirs.push(dir);
    const running = startCli(['lab', 'demo', '--dir', dir]);
    clis.push(running);
    const seen = await pollFor(
      "the demo's applications writing",
      180_000,
      async () => {
        if (running.result)
          throw new Error(
            `the demo ended (exit ${running.result.code}) before it could be interrupted\n${running.stdout}\n${running.stderr}`,
          );
        return /Applications write on every primary/.test(running.stdout) ? labProcessTree(dir) : undefined;
      },
      50,
    );
    const signalledAt = Date.now();
    running.child.kill('SIGINT');
    const { code, signal } = await running.exited;

    assert.equal(code, 130, `exit 130 (interrupted)\n${running.stdout}\n${running.stderr}`);
    assert.equal(signal, null, 'pgfleet handled the signal itself');
    assert.match(running.stderr, /warning: interrupted: stopping the story and cleaning up/);
    assert.match(running.stderr, /error: lab demo interrupted \[LAB_STORY_INTERRUPTED\]/);
    const afterSignal = running.stdout.slice(running.stdout.lastIndexOf('Applications write on every primary'));
    // The clean-up step, then (not necessarily on the next line) what it stopped and removed.
    const cleanUpStep = afterSignal.search(/Stop the lab and remove its directory$/m);
    assert.ok(cleanUpStep >= 0, afterSignal);
    assert.match(afterSignal.slice(cleanUpStep), /^ {4}stopped \d+ processes; .* removed$/m);
    assert.doesNotMatch(afterSignal, /Summary/, 'no summary for a story that did not end');
    assert.ok(
      seen.some((process) => process.cmdline.includes('patroni ')),
      'Patroni was running when the signal came',
    );
    assert.deepEqual(
      stillRunning(seen).map((process) => process.cmdline),
      [],
      'every process seen before Ctrl-C is gone',
    );
    assert.deepEqual(processesMentioning(dir), [], 'no process names the lab directory');
    await assert.rejects(stat(dir), 'the lab directory is removed');
    assert.ok(Date.now() - signalledAt < 60_000, 'stopped within a minute');
  });
});
