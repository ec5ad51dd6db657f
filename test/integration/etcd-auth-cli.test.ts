import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { labEnv } from '../../src/lab/lab-env.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { leadersAndTimelines } from '../support/fleet-writers.js';
import { type CliResult, runCli } from '../support/run-cli.js';

describe('pgfleet etcd auth, run as an operator would on a lab (settings from `lab env`)', () => {
  let lab: TestLab;
  let env: Record<string, string>;
  const outputs: CliResult[] = [];
  const cli = async (...args: string[]): Promise<CliResult> => {
    const result = await runCli(args, { env });
    outputs.push(result);
    return result;
  };

  before(async () => {
    lab = await startTestLab({ clusters: 2, nodes: 2, etcdMembers: 1 });
    env = await labEnv(lab.dir);
  });
  after(async () => {
    await lab?.down();
  });

  it('migrate --yes secures the open fleet: prepare, apply and enforce, without leader changes', async () => {
    const before = await leadersAndTimelines(lab.state.topology);
    const migrate = await cli('etcd', 'auth', 'migrate', '--yes');
    assert.equal(migrate.code, 0, migrate.stderr);
    assert.match(migrate.stdout, /enforced: etcd auth is on; 4 members and 2 tenants probed/);
    const status = await cli('--output', 'json', 'etcd', 'auth', 'status');
    assert.equal(status.code, 0, status.stderr);
    const parsed = JSON.parse(status.stdout) as { authEnabled: boolean; tokenType: string; lastRun: { phase: string } };
    assert.equal(parsed.authEnabled, true);
    assert.equal(parsed.tokenType, 'simple');
    assert.equal(parsed.lastRun.phase, 'enforced');
    assert.deepEqual(await leadersAndTimelines(lab.state.topology), before);
  });

  it('prepare a second time changes nothing', async () => {
    const again = await cli('--output', 'json', 'etcd', 'auth', 'prepare');
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(JSON.parse(again.stdout), { actions: [] });
  });

  it('rollback switches auth off and leaves users and roles in place', async () => {
    const rollback = await cli('etcd', 'auth', 'rollback');
    assert.equal(rollback.code, 0, rollback.stderr);
    assert.match(rollback.stdout, /auth disabled/);
    const status = JSON.parse((await cli('--output', 'json', 'etcd', 'auth', 'status')).stdout) as { authEnabled: boolean };
    assert.equal(status.authEnabled, false);
  });

  it('no password appears in any output, and every password file is 0600', async () => {
    const secretsDir = join(lab.dir, 'secrets');
    const files = [join(secretsDir, 'etcd-root.password'), ...(await readdir(join(secretsDir, 'tenants'))).map((f) => join(secretsDir, 'tenants', f))];
    assert.ok(files.length >= 3);
    const everything = outputs.map((o) => o.stdout + o.stderr).join('\n');
    for (const file of files) {
      const secret = (await readFile(file, 'utf8')).trim();
      assert.ok(secret.length >= 32);
      assert.equal((await stat(file)).mode & 0o777, 0o600, `${file} is 0600`);
      assert.equal(everything.includes(secret), false, `a password from ${file} leaked into the output`);
    }
  });
});
