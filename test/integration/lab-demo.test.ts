import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { labDown } from '../../src/lab/lab-down.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { registerTeardown } from '../support/process-cleanup.js';
import { processesMentioning } from '../support/process-scan.js';
import { type CliResult, runCli } from '../support/run-cli.js';

describe("pgfleet lab demo, the README's main command, run to its end", () => {
  let parent: string;
  let dir: string;
  let demo: CliResult;
  let unregister: () => void;

  before(async () => {
    ensureBuiltCli();
    parent = await mkdtemp(join(tmpdir(), 'pgfleet-demo-'));
    await chmod(parent, 0o755);
    dir = join(parent, 'lab');
    // The demo removes its lab itself; this is for a demo that fails half-way.
    unregister = registerTeardown(async () => {
      await labDown(dir).catch(() => undefined);
    });
    demo = await runCli(['lab', 'demo', '--dir', dir], { timeoutMs: 400_000 });
  });
  after(async () => {
    await labDown(dir).catch(() => undefined);
    unregister?.();
    await rm(parent, { recursive: true, force: true });
  });

  it('ends successfully with a summary, and tells the story step by step', () => {
    assert.equal(demo.code, 0, `${demo.stdout}\n${demo.stderr}`);
    const steps = [
      /\[1\] Start a lab: 3 etcd members, open/,
      /\$ pgfleet lab status/,
      /\[\d+\] A write on each primary, read back from its replica/,
      // Each row is read on the other node of its cluster: written on one, read back on the other.
      /alpha: row pgfleet-[0-9a-f]+ written on (alpha-[12]), read back on (?!\1)alpha-[12] after \d+ ms/,
      /beta: row pgfleet-[0-9a-f]+ written on (beta-[12]), read back on (?!\1)beta-[12] after \d+ ms/,
      /gamma: row pgfleet-[0-9a-f]+ written on (gamma-[12]), read back on (?!\1)gamma-[12] after \d+ ms/,
      /\$ pgfleet etcd auth plan/,
      /\$ pgfleet etcd auth prepare/,
      /Apply, but leave cluster gamma out/,
      /refused: member \/service\/gamma\/gamma-1 has no readiness record/,
      /refused: member \/service\/gamma\/gamma-2 has no readiness record/,
      /\$ pgfleet etcd auth enforce --skip-gates/,
      /caught: \/service\/gamma\/gamma-\d has no etcd credentials in its Patroni configuration/,
      /auth was switched off again automatically: it was on for \d+ ms; clusters resumed/,
      /Apply the missing cluster gamma/,
      /enforced in [\d.]+ s: 6\/6 members wrote to the DCS with their own tenant/,
      /\$ pgfleet etcd tenants verify/,
      /static check over every role range: no finding/,
      /patroni-alpha: own prefix read\/write; denied in 2 other tenant prefix\(es\) and outside/,
      /auth ON, simple tokens; migration enforced/,
      /Stop the lab and remove its directory/,
    ];
    let from = 0;
    for (const step of steps) {
      const match = step.exec(demo.stdout.slice(from));
      assert.ok(match, `the demo output should go on with ${step} (in order)\n${demo.stdout}`);
      from += match.index + match[0].length;
    }
  });

  it("summarises the figures that matter: each primary's write read on its replica, the window under 5 s, tenants isolated, 0 failed writes, 0 demotions, 0 leader changes", () => {
    const summary = demo.stdout.slice(demo.stdout.lastIndexOf('Summary'));
    const window = Number(/auth switched off again after (\d+) ms/.exec(summary)?.[1]);
    assert.ok(window > 0 && window < 5_000, summary);
    assert.match(
      summary,
      /a write on each primary read back from its replica: alpha \(alpha-\d → alpha-\d, \d+ ms\), beta \(beta-\d → beta-\d, \d+ ms\), gamma \(gamma-\d → gamma-\d, \d+ ms\)/,
    );
    assert.match(summary, /tenants isolated \(3\/3\)/);
    assert.match(summary, /applications: \d+ writes, 0 failed; 0 demotions, 0 leader changes/);
    assert.match(summary, /lab stopped and removed/);
  });

  it('takes the lab down: no directory, no process left', async () => {
    await assert.rejects(stat(dir));
    assert.deepEqual(processesMentioning(dir), []);
  });
});
