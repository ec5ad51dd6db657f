import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseLabEtcdTls } from '../../src/core/lab/lab-etcd-tls.js';
import { labPortCount } from '../../src/core/lab/lab-topology.js';
import { findFreePortRange } from '../../src/adapters/process/port-probe.js';
import { labDown } from '../../src/lab/lab-down.js';
import { type LabUpResult, labUp } from '../../src/lab/lab-up.js';
import { multiHostLabUp } from '../../src/lab/multihost-up.js';
import { registerTeardown } from './process-cleanup.js';

export interface TestLab extends LabUpResult {
  dir: string;
  down(): Promise<void>;
}

export interface TestLabOptions {
  clusters?: number;
  nodes?: number;
  etcdMembers?: number;
  scopes?: string[];
  etcdAuthToken?: string;
  /** true: etcd on https only (client certificates required); 'dual': http and https, nodes on http. */
  etcdTls?: boolean | 'dual';
  /** 'v2': etcd with --enable-v2 and every node on the `etcd:` section. */
  etcdApi?: 'v2' | 'v3';
  /** A multi-host lab (root only): N hosts and a coordinator, each in its own network namespace. */
  hosts?: number;
}

/**
 * An isolated lab for one integration test file: its own free port range
 * (or, multi-host, its own network namespaces) and its own directory, so
 * tests run beside any other lab. It is taken down
 * by `down()` (call it in `after`), on SIGINT/SIGTERM, and at exit, also
 * while it is still starting (the start is interrupted, which stops what it
 * had started). Proven by test/integration/lab-fixture-cleanup.test.ts.
 */
export async function startTestLab(options: TestLabOptions = {}): Promise<TestLab> {
  const shape = { clusters: options.clusters ?? 2, nodes: options.nodes ?? 2, etcdMembers: options.etcdMembers ?? 1 };
  const parent = await mkdtemp(join(tmpdir(), 'pgfleet-lab-'));
  // mkdtemp makes a 0700 directory; the postgres user must be able to reach the lab inside it.
  await chmod(parent, 0o755);
  const dir = join(parent, 'lab');
  const interrupt = new AbortController();
  let starting: Promise<LabUpResult> | undefined;
  let stopping: Promise<void> | undefined;
  // One teardown, which every caller waits for: a start interrupted by a signal must not fail its test (and let the
  // process end) before the teardown the signal began is over.
  const down = (): Promise<void> =>
    (stopping ??= (async () => {
      // A start under way would go on starting processes behind labDown's back: interrupt it and let it undo itself first.
      interrupt.abort();
      await starting?.catch(() => undefined);
      await labDown(dir).catch(() => undefined);
      await rm(parent, { recursive: true, force: true });
    })());
  const unregister = registerTeardown(down);
  try {
    const common = {
      ...shape,
      dir,
      scopes: options.scopes,
      etcdAuthToken: options.etcdAuthToken,
      etcdTls: parseLabEtcdTls(options.etcdTls),
      etcdApi: options.etcdApi,
      signal: interrupt.signal,
    };
    starting =
      options.hosts === undefined
        ? labUp({ ...common, basePort: await findFreePortRange(labPortCount(shape)), timeoutMs: 120_000 })
        : multiHostLabUp({ ...common, hosts: options.hosts, timeoutMs: 180_000 });
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
