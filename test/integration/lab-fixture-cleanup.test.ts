import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDown } from '../../src/lab/lab-down.js';
import { registerTeardown } from '../support/process-cleanup.js';
import { processesMentioning } from '../support/process-scan.js';
import type { LabState } from '../../src/lab/lab-state.js';
import { type SeenProcess, killLabLeftovers, labProcessTree, pollFor, stillRunning } from '../support/process-tree.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD_FILE = 'test/support/lab-fixture-child.ts';

interface ChildRun {
  runner: ChildProcess;
  /** The child's TMPDIR: startTestLab makes its lab in a pgfleet-lab-* directory there, and nothing else does. */
  tmp: string;
  report: string;
  output: string;
  result: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * What lab-fixture.ts promises (startTestLab): a test file's lab is taken
 * down when the file fails or is interrupted, even if the file never calls
 * `down()`. Each case runs test/support/lab-fixture-child.ts (a 1-etcd,
 * 1 × 1 lab, no `after` hook) under its own `node --test`, as
 * scripts/test.sh runs test files.
 */
describe('the lab fixture takes its lab down when the test file fails or is interrupted', () => {
  let scratch: string;
  const runs: ChildRun[] = [];
  const labDirs: string[] = [];

  const cleanUp = async (): Promise<void> => {
    for (const run of runs) {
      if (run.result) continue;
      signalGroup(run.runner, 'SIGTERM');
      await run.exited;
    }
    // Every child's lab is inside scratch (each child's TMPDIR): taken down, then removed with it.
    for (const dir of labDirs) {
      await labDown(dir).catch(() => undefined);
      try {
        killLabLeftovers(dir);
      } catch {
        // Not a lab path: nothing of it to kill.
      }
    }
    if (scratch) await rm(scratch, { recursive: true, force: true });
  };
  let unregister: () => void;

  before(async () => {
    unregister = registerTeardown(cleanUp);
    scratch = await mkdtemp(join(tmpdir(), 'pgfleet-fxc-'));
    // The postgres user that runs Patroni must reach the labs made inside it.
    await chmod(scratch, 0o755);
  });
  after(async () => {
    await cleanUp();
    unregister?.();
  });

  /** `node --import tsx --test` on the child file, in its own process group (as a terminal would run it). */
  const runChild = async (mode: 'fail' | 'wait'): Promise<ChildRun> => {
    const tmp = join(scratch, `run-${runs.length}`);
    await mkdir(tmp, { mode: 0o755 });
    await chmod(tmp, 0o755);
    const report = join(scratch, `report-${runs.length}.json`);
    // Without NODE_TEST_CONTEXT (set for this file by its own runner), `node --test` would not run the file itself.
    const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
    const runner = spawn(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', CHILD_FILE], {
      cwd: ROOT,
      env: { ...env, NO_COLOR: '1', TMPDIR: tmp, PGFLEET_CHILD_MODE: mode, PGFLEET_CHILD_REPORT: report },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    const run: ChildRun = { runner, tmp, report, output: '', result: undefined, exited: undefined as never };
    runner.stdout!.on('data', (chunk: Buffer) => (run.output += chunk.toString()));
    runner.stderr!.on('data', (chunk: Buffer) => (run.output += chunk.toString()));
    run.exited = new Promise((resolve) =>
      runner.once('close', (code, signal) => resolve((run.result = { code, signal }))),
    );
    runs.push(run);
    return run;
  };

  /** The lab directory the child reports once startTestLab has returned. */
  const labRunning = (run: ChildRun) =>
    pollFor('the child test file to report its lab running', 120_000, async () => {
      if (run.result)
        throw new Error(`the child test run ended (exit ${run.result.code}) before its lab was up\n${run.output}`);
      const text = await readFile(run.report, 'utf8').catch(() => undefined);
      if (!text) return undefined;
      const dir = (JSON.parse(text) as { dir: string }).dir;
      assert.equal(dirname(dirname(dir)), run.tmp, `the child's lab is in its own TMPDIR: ${dir}`);
      labDirs.push(dir);
      return dir;
    });

  /** Nothing of the lab is left: no process seen before, none naming its directory, and the fixture's directory is gone. */
  const assertLabGone = async (dir: string, seen: SeenProcess[]) => {
    assert.deepEqual(
      stillRunning(seen).map((process) => process.cmdline),
      [],
      'every process of the lab seen before is gone',
    );
    assert.deepEqual(processesMentioning(dir), [], 'no process names the lab directory');
    await assert.rejects(stat(dirname(dir)), "the fixture's directory (the lab's parent) is removed");
  };

  /** After the runner is gone the test-file process may still be tearing down: wait (bounded) for the lab to disappear. */
  const labDisappears = (dir: string) =>
    pollFor(
      `the lab in ${dir} to be taken down`,
      90_000,
      () => (labProcessTree(dir).length === 0 && !existsSync(dirname(dir)) ? true : undefined),
      200,
    );

  it('a test fails while its lab runs: the lab is down by the time the test run ends', async () => {
    const run = await runChild('fail');
    const dir = await labRunning(run);
    const seen = labProcessTree(dir);
    assert.ok(
      seen.some((process) => process.cmdline.includes('/usr/bin/etcd ')) &&
        seen.some((process) => /patroni /.test(process.cmdline)),
      'etcd and Patroni were running',
    );

    const { code } = await run.exited;
    assert.equal(code, 1, 'the test run reports the failure');
    assert.match(
      run.output,
      /a test failing while its lab runs/,
      'it failed for the reason the child gives, not another',
    );
    await assertLabGone(dir, seen);
  });

  it('SIGTERM to the test runner (as a CI timeout sends) while the lab runs: the lab is taken down', async () => {
    const run = await runChild('wait');
    const dir = await labRunning(run);
    const seen = labProcessTree(dir);
    assert.ok(
      seen.some((process) => process.cmdline.includes(`-D ${dir}/pgsql/`)),
      'PostgreSQL was running',
    );

    run.runner.kill('SIGTERM');
    await run.exited;
    await labDisappears(dir);
    await assertLabGone(dir, seen);
  });

  it('Ctrl-C (SIGINT to the whole process group) while the lab runs: the lab is taken down, although the runner also sends SIGTERM', async () => {
    const run = await runChild('wait');
    const dir = await labRunning(run);
    const seen = labProcessTree(dir);

    signalGroup(run.runner, 'SIGINT');
    await run.exited;
    await labDisappears(dir);
    await assertLabGone(dir, seen);
  });

  it('SIGTERM while the lab is still starting: the start is interrupted and what it started is stopped', async () => {
    const run = await runChild('wait');
    // The child's lab, found in its TMPDIR as soon as its state records a Patroni, before startTestLab has returned.
    const dir = await pollFor(
      'the child test file to start Patroni',
      120_000,
      async () => {
        if (run.result) throw new Error(`the child test run ended (exit ${run.result.code}) early\n${run.output}`);
        const parent = (await readdir(run.tmp).catch(() => [] as string[])).find((entry) =>
          entry.startsWith('pgfleet-lab-'),
        );
        if (!parent) return undefined;
        const dir = join(run.tmp, parent, 'lab');
        const state = await readFile(join(dir, 'lab.json'), 'utf8').then(
          (text) => JSON.parse(text) as LabState,
          () => undefined,
        );
        return state?.processes.some((process) => process.kind === 'patroni') ? dir : undefined;
      },
      50,
    );
    labDirs.push(dir);
    const seen = labProcessTree(dir);
    assert.equal(existsSync(run.report), false, 'the lab was still starting (startTestLab had not returned)');
    assert.ok(
      seen.some((process) => process.cmdline.includes('/usr/bin/etcd ')),
      'etcd was running',
    );

    run.runner.kill('SIGTERM');
    await run.exited;
    await labDisappears(dir);
    await assertLabGone(dir, seen);
  });
});

/** Signals the process group the runner leads (it was spawned detached, so the group is its own and nothing else). */
function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  const pid = child.pid;
  if (pid === undefined || !Number.isInteger(pid) || pid <= 1) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is gone.
  }
}
