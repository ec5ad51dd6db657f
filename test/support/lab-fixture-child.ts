/**
 * A test file run by test/integration/lab-fixture-cleanup.test.ts as its own
 * `node --import tsx --test` process, to prove what lab-fixture.ts promises:
 * a lab started with startTestLab is taken down even when the test file does
 * not do it itself. It has no `after` hook on purpose.
 *
 * PGFLEET_CHILD_MODE:
 *   - "fail": a test throws with the lab running;
 *   - "wait": the file waits (keeping the lab) until it is signalled.
 * Once the lab is up, `{ "dir": <lab dir>, "pid": <this process> }` is written
 * to $PGFLEET_CHILD_REPORT, where the parent test looks for it.
 */
import { describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import { startTestLab } from './lab-fixture.js';

const mode = process.env.PGFLEET_CHILD_MODE;
const report = process.env.PGFLEET_CHILD_REPORT;
if ((mode !== 'fail' && mode !== 'wait') || !report)
  throw new Error('set PGFLEET_CHILD_MODE (fail|wait) and PGFLEET_CHILD_REPORT');

describe(`a test file whose lab is left to the fixture (${mode})`, () => {
  it('starts a 1-etcd, 1 × 1 lab, then fails or waits', async () => {
    const lab = await startTestLab({ clusters: 1, nodes: 1, etcdMembers: 1 });
    writeFileSync(report, JSON.stringify({ dir: lab.dir, pid: process.pid }));
    if (mode === 'fail') throw new Error('a test failing while its lab runs');
    // Until a signal: the interval keeps the process alive.
    await new Promise(() => setInterval(() => undefined, 60_000));
  });
});
