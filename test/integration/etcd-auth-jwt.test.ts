import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runOpenssl } from '../../src/adapters/pki/openssl.js';
import { etcdAuthEnabled } from '../../src/fleet/fleet-connection.js';
import { labEtcdEndpoints } from '../../src/core/lab/lab-topology.js';
import type { AuthPlan } from '../../src/core/migration/auth-plan.js';
import { labEnv } from '../../src/lab/lab-env.js';
import type { EtcdAuthStatus } from '../../src/migration/etcd-auth/auth-status.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { runCli } from '../support/run-cli.js';

describe('etcd with JWT tokens and Patroni 3.0.2: the migration refuses and explains', () => {
  let keys: string;
  let lab: TestLab;
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, { env });
  const authEnabled = () => etcdAuthEnabled({ endpoints: labEtcdEndpoints(lab.state.topology) });

  before(async () => {
    ensureBuiltCli();
    keys = await mkdtemp(join(tmpdir(), 'pgfleet-jwt-'));
    await chmod(keys, 0o700);
    await runOpenssl(
      ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', join(keys, 'jwt.key')],
      { what: 'JWT signing key' },
    );
    await runOpenssl(['pkey', '-in', join(keys, 'jwt.key'), '-pubout', '-out', join(keys, 'jwt.pub')], {
      what: 'JWT public key',
    });
    lab = await startTestLab({
      clusters: 1,
      nodes: 1,
      etcdMembers: 1,
      etcdAuthToken: `jwt,pub-key=${join(keys, 'jwt.pub')},priv-key=${join(keys, 'jwt.key')},sign-method=RS256`,
    });
    env = await labEnv(lab.dir);
  });
  after(async () => {
    await lab?.down();
    if (keys) await rm(keys, { recursive: true, force: true });
  });

  it('status reads the token type from etcd while auth is still off', async () => {
    const status = await cli('--output', 'json', 'etcd', 'auth', 'status');
    assert.equal(status.code, 0, status.stderr);
    assert.equal((JSON.parse(status.stdout) as EtcdAuthStatus).tokenType, 'jwt');
  });

  it('plan is blocked (exit 1) and says why: JWT tokens go stale and Patroni 3.0.2 would demote', async () => {
    const plan = await cli('etcd', 'auth', 'plan');
    assert.equal(plan.code, 1, plan.stderr);
    assert.match(plan.stdout, /BLOCKED/);
    assert.match(
      plan.stdout,
      /etcd uses JWT tokens and 1 member\(s\) run Patroni < 3\.2 \(3\.0\.2\).*primaries would demote/,
    );
    assert.match(plan.stdout, /--auth-token simple, or upgrade Patroni to 3\.2/);
    const parsed = JSON.parse((await cli('--output', 'json', 'etcd', 'auth', 'plan')).stdout) as AuthPlan;
    assert.equal(parsed.blocked, true);
    assert.deepEqual(
      parsed.blockers.map((blocker) => blocker.subject),
      ['/service/alpha/alpha-1'],
    );
  });

  it('migrate --yes refuses before changing anything', async () => {
    const migrate = await cli('etcd', 'auth', 'migrate', '--yes');
    assert.equal(migrate.code, 1);
    assert.match(migrate.stderr, /the plan is blocked .*nothing was changed \[MIGRATE_PLAN_BLOCKED\]/);
    assert.equal(await authEnabled(), false);
    const plan = JSON.parse((await cli('--output', 'json', 'etcd', 'auth', 'plan')).stdout) as AuthPlan;
    assert.ok(
      plan.clusters[0]!.actions.some((action) => action.includes('create user patroni-alpha')),
      'no tenant was created',
    );
  });

  it('enforce after prepare and apply refuses at the gates with the same explanation, and auth stays off', async () => {
    assert.equal((await cli('etcd', 'auth', 'prepare')).code, 0);
    assert.equal((await cli('etcd', 'auth', 'apply')).code, 0);
    const enforce = await cli('--output', 'json', 'etcd', 'auth', 'enforce');
    assert.equal(enforce.code, 2, enforce.stderr);
    assert.match(enforce.stderr, /\[ENFORCE_GATES_REFUSED\]/);
    // The gate failures as data: the JWT one is among them, whatever other gate may also refuse.
    const { error } = JSON.parse(enforce.stdout) as {
      error: { code: string; details?: { gateFailures?: Array<{ gate: string; subject: string; message: string }> } };
    };
    assert.equal(error.code, 'ENFORCE_GATES_REFUSED');
    const jwt = error.details?.gateFailures?.find((failure) => failure.gate === 'token-type');
    assert.ok(jwt, JSON.stringify(error));
    assert.equal(jwt.subject, '/service/alpha/alpha-1');
    assert.match(
      jwt.message,
      /^etcd uses JWT tokens and 1 member\(s\) run Patroni < 3\.2 \(3\.0\.2\): Patroni 3\.0\.2 does not re-authenticate when JWT tokens go stale, so its primaries would demote/,
    );
    assert.equal(await authEnabled(), false);
  });
});
