import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { labEtcdTlsPaths } from '../../src/lab/lab-etcd-pki.js';
import { labEnv } from '../../src/lab/lab-env.js';
import type { EtcdAuthStatus } from '../../src/migration/etcd-auth/auth-status.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { type TestLab, startTestLab } from '../support/lab-fixture.js';
import { type CliResult, runCli } from '../support/run-cli.js';

type TlsKey = 'cacert' | 'cert' | 'key';

/**
 * The TLS kind of failure: pgfleet's own TLS files for etcd (the settings'
 * patroni.etcd.cacert, cert, key) wrong in the three ways a site gets them
 * wrong. enforce names the setting at fault and its file, instead of "check
 * that etcd runs"; setting what the hint names makes the same command
 * enforce. A lab with etcd on https only, client certificates required
 * (1 etcd, 1 cluster × 2 nodes).
 */
describe('etcd over TLS: a wrong TLS file in the settings is named by enforce, and setting what the hint says enforces', () => {
  let lab: TestLab;
  let env: Record<string, string>;
  let settingsText: string;
  const cli = (...args: string[]): Promise<CliResult> => runCli(args, { env });
  /** The lab's settings with some patroni.etcd TLS keys changed (undefined: removed), in a file of their own. */
  const settingsWith = async (name: string, changes: Partial<Record<TlsKey, string | undefined>>): Promise<string> => {
    const document = parseDocument(settingsText, { version: '1.1' });
    for (const [key, value] of Object.entries(changes)) {
      if (value === undefined) document.deleteIn(['patroni', 'etcd', key]);
      else document.setIn(['patroni', 'etcd', key], value);
    }
    const file = join(lab.dir, `${name}.yaml`);
    await writeFile(file, document.toString());
    return file;
  };
  const right = (): Record<TlsKey, string> => {
    const client = labEtcdTlsPaths(lab.dir).client;
    return { cacert: client.cacert, cert: client.cert, key: client.key };
  };

  before(async () => {
    ensureBuiltCli();
    lab = await startTestLab({ clusters: 1, nodes: 2, etcdMembers: 1, etcdTls: true });
    env = await labEnv(lab.dir);
    settingsText = await readFile(join(lab.dir, 'settings.yaml'), 'utf8');
    for (const step of [['prepare'], ['apply']]) {
      const result = await cli('etcd', 'auth', ...step);
      assert.equal(result.code, 0, result.stderr);
    }
  });
  after(async () => {
    await lab?.down();
  });

  const cases: Array<{ what: string; broken: () => Partial<Record<TlsKey, string | undefined>>; names: TlsKey[] }> = [
    {
      what: 'a cacert that did not sign etcd (the client certificate given as CA)',
      broken: () => ({ cacert: right().cert }),
      names: ['cacert'],
    },
    {
      what: 'a key that is not the client certificate’s',
      broken: () => ({ key: join(lab.dir, 'pki', 'ca.key') }),
      names: ['cert', 'key'],
    },
    {
      what: 'no client certificate while etcd requires one',
      broken: () => ({ cert: undefined, key: undefined }),
      names: ['cert', 'key'],
    },
  ];

  for (const { what, broken, names } of cases) {
    it(`${what}: refused naming ${names.map((key) => `patroni.etcd.${key}`).join(' and ')}; set as the hint says, enforce enforces`, async () => {
      const file = await settingsWith('broken', broken());
      const refused = await cli('--settings', file, 'etcd', 'auth', 'enforce');
      assert.equal(refused.code, 2, refused.stderr);
      assert.match(refused.stderr, /\[ETCD_TLS_REFUSED\]/);
      const hint = /^hint: (.*)$/m.exec(refused.stderr)?.[1] ?? '';
      assert.doesNotMatch(hint, /check that etcd runs/);
      for (const key of names)
        assert.ok(hint.includes(`set patroni.etcd.${key} (`) || hint.includes(`and patroni.etcd.${key} (`), hint);

      // What the hint says: those settings, set to the right files.
      const fixed = await settingsWith('fixed', Object.fromEntries(names.map((key) => [key, right()[key]])));
      const enforce = await cli('--settings', fixed, 'etcd', 'auth', 'enforce');
      assert.equal(enforce.code, 0, enforce.stderr);
      assert.match(enforce.stdout, /enforced: etcd auth is on; 2 members and 1 tenants probed/);
      const status = JSON.parse((await cli('--output', 'json', 'etcd', 'auth', 'status')).stdout) as EtcdAuthStatus;
      assert.equal(status.standing.stage, 'enforced');
      const rollback = await cli('etcd', 'auth', 'rollback');
      assert.equal(rollback.code, 0, rollback.stderr);
    });
  }
});
