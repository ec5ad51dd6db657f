import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown } from '../../src/lab/lab-down.js';
import type { LabUpResult } from '../../src/lab/lab-up.js';
import { multiHostLabUp } from '../../src/lab/multihost-up.js';
import { registerTeardown } from './process-cleanup.js';

export interface TestMultiHostLab extends LabUpResult {
  dir: string;
  down(): Promise<void>;
}

/**
 * A multi-host lab for one integration test file (root only): its own
 * namespaces (named after its random id) and its own directory. Taken down
 * by `down()` (call it in `after`), on SIGINT/SIGTERM and at exit, also while
 * it is still starting: the start is interrupted, which removes what it made.
 */
export async function startTestMultiHostLab(shape: {
  hosts: number;
  clusters: number;
  nodes: number;
  etcdMembers: number;
}): Promise<TestMultiHostLab> {
  const parent = await mkdtemp(join(tmpdir(), 'pgfleet-multihost-'));
  await chmod(parent, 0o755);
  const dir = join(parent, 'lab');
  const interrupt = new AbortController();
  let starting: Promise<LabUpResult> | undefined;
  let stopping: Promise<void> | undefined;
  const down = (): Promise<void> =>
    (stopping ??= (async () => {
      interrupt.abort();
      await starting?.catch(() => undefined);
      await labDown(dir).catch(() => undefined);
      await rm(parent, { recursive: true, force: true });
    })());
  const unregister = registerTeardown(down);
  try {
    starting = multiHostLabUp({ ...shape, dir, timeoutMs: 180_000, signal: interrupt.signal });
    const result = await starting;
    return {
      ...result,
      dir,
      async down() {
        await down();
        unregister();
      },
    };
  } catch (error) {
    await down();
    unregister();
    throw error;
  }
}
