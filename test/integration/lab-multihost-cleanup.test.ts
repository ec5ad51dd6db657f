import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { listNamespaces } from '../../src/adapters/net/network-namespace.js';
import { labDown } from '../../src/lab/lab-down.js';
import type { LabState } from '../../src/lab/lab-state.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { registerTeardown } from '../support/process-cleanup.js';
import { processesMentioning } from '../support/process-scan.js';
import { pollFor } from '../support/process-tree.js';
import { CLI_PATH, runCli } from '../support/run-cli.js';

/** The smallest multi-host lab: 2 hosts and a coordinator, one cluster of 2 nodes, one etcd member. */
const UP = ['lab', 'up', '--hosts', '2', '--clusters', '1', '--nodes', '2', '--etcd-members', '1'];

interface RunningCli {
  child: ChildProcess;
  stderr: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(args: string[]): RunningCli {
  const child = spawn(process.execPath, [CLI_PATH, ...args], {
    env: { ...process.env, NO_COLOR: '1' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const running: RunningCli = { child, stderr: '', exited: undefined as never };
  child.stderr!.on('data', (chunk: Buffer) => (running.stderr += chunk.toString()));
  running.exited = new Promise((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return running;
}

async function recordedState(dir: string): Promise<LabState | undefined> {
  return readFile(join(dir, 'lab.json'), 'utf8').then(
    (text) => JSON.parse(text) as LabState,
    () => undefined,
  );
}

async function namespacesOf(id: string): Promise<string[]> {
  return (await listNamespaces()).filter((name) => name.startsWith(`pgfleet-${id}-`));
}

describe('a multi-host lab leaves nothing behind, whatever stops it', () => {
  let parent: string;
  const clis: RunningCli[] = [];
  const dirs: string[] = [];
  const cleanUp = async (): Promise<void> => {
    for (const cli of clis) {
      cli.child.kill('SIGKILL');
      await cli.exited;
    }
    for (const dir of dirs) await labDown(dir).catch(() => undefined);
    if (parent) await rm(parent, { recursive: true, force: true });
  };
  let unregister: (() => void) | undefined;
  before(async () => {
    ensureBuiltCli();
    unregister = registerTeardown(cleanUp);
    parent = await mkdtemp(join(tmpdir(), 'pgfleet-multihost-cleanup-'));
    await chmod(parent, 0o755);
  });
  after(async () => {
    await cleanUp();
    unregister?.();
  });

  it('lab up killed (SIGKILL) while Patroni starts: `lab down` removes every process, namespace and the directory, and a second `lab down` finishes what a killed one left', async () => {
    const dir = join(parent, 'killed');
    dirs.push(dir);
    const up = startCli([...UP, '--dir', dir]);
    clis.push(up);
    const state = await pollFor(
      'a Patroni of the lab recorded',
      120_000,
      async () => {
        const recorded = await recordedState(dir);
        return recorded?.processes.some((process) => process.kind === 'patroni') ? recorded : undefined;
      },
      50,
    );
    up.child.kill('SIGKILL');
    await up.exited;
    assert.ok((await namespacesOf(state.id)).length > 0, 'the killed run left its namespaces');

    // A `lab down` killed in its turn, then another one.
    const firstDown = startCli(['lab', 'down', '--dir', dir]);
    clis.push(firstDown);
    await sleep(1_500);
    firstDown.child.kill('SIGKILL');
    await firstDown.exited;
    const secondDown = await runCli(['lab', 'down', '--dir', dir]);
    assert.equal(secondDown.code, 0, secondDown.stderr);

    assert.deepEqual(await namespacesOf(state.id), [], 'no namespace of the lab is left');
    assert.deepEqual(processesMentioning(dir), [], 'no process names the lab directory');
    await assert.rejects(stat(dir), 'the lab directory is removed');
  });

  it('Ctrl-C (SIGINT) during lab up --hosts: exit 130, every process stopped, namespaces and directory removed', async () => {
    const dir = join(parent, 'interrupted');
    dirs.push(dir);
    const up = startCli([...UP, '--dir', dir]);
    clis.push(up);
    const state = await pollFor(
      'the etcd member of the lab recorded',
      120_000,
      async () => {
        const recorded = await recordedState(dir);
        return recorded?.processes.some((process) => process.kind === 'etcd') ? recorded : undefined;
      },
      50,
    );
    up.child.kill('SIGINT');
    const { code } = await up.exited;
    assert.equal(code, 130, up.stderr);
    assert.match(up.stderr, /\[LAB_UP_INTERRUPTED\]/);
    assert.deepEqual(await namespacesOf(state.id), [], 'no namespace of the lab is left');
    assert.deepEqual(processesMentioning(dir), [], 'no process names the lab directory');
    await assert.rejects(stat(dir), 'the lab directory is removed');
  });
});
