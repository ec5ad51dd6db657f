import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ValidationFinding } from '../../src/core/patroni-config/validation-findings.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { adjustForLab, readDebianTemplate, renderDebianTemplate } from '../support/debian-patroni-template.js';
import { runCli } from '../support/run-cli.js';

/**
 * `pgfleet patroni config validate` on files pgfleet did not write, with the
 * installed `patroni --validate-config` (3.0.2): Debian's own template as
 * pg_createconfig_patroni renders it, and the same member once it joined
 * its cluster (no bootstrap section at all).
 */
describe('pgfleet patroni config validate on files pgfleet did not generate', () => {
  let dir: string;
  let debianFile: string;
  let joinedFile: string;
  const validate = (file: string) =>
    runCli(['--output', 'json', 'patroni', 'config', 'validate', file], {
      env: { PGFLEET_CONFIG_DIR: join(dir, 'no-config'), XDG_CONFIG_HOME: join(dir, 'no-config') },
    });

  before(async () => {
    ensureBuiltCli();
    dir = await mkdtemp(join(tmpdir(), 'pgfleet-validate-foreign-'));
    const rendered = renderDebianTemplate(readDebianTemplate(), {
      version: '15',
      cluster: 'main',
      hostname: 'pg1',
      hostip: '127.0.0.1',
      network: '127.0.0.1/32',
      port: 1,
      apiPort: 2,
      datadirBase: join(dir, 'data'),
      // Port 1: refused at once (an unreachable etcd is a known over-strictness, not an error).
      dcsConfig: 'etcd3:\n  hosts: 127.0.0.1:1',
    });
    const text = adjustForLab(rendered, {
      configDir: join(dir, 'data', '15', 'main'),
      pgpass: join(dir, '15-main.pgpass'),
      socketDir: join(dir, 'run'),
      logDir: join(dir, 'log'),
      superuserPassword: 'not-a-real-password',
    });
    debianFile = join(dir, '15-main.yml');
    await writeFile(debianFile, text);
    joinedFile = join(dir, '15-main-joined.yml');
    await writeFile(joinedFile, text.replace(/^bootstrap:\n[\s\S]*?(?=^postgresql:)/m, ''));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('says "no such file" for a missing file and exits 2, instead of listing every key as missing', async () => {
    const missing = join(dir, 'missing.yml');
    const result = await validate(missing);
    assert.equal(result.code, 2, result.stderr);
    const error = (JSON.parse(result.stdout) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'PATRONI_CONFIG_MISSING');
    assert.equal(error.message, `${missing}: no such file`);
    assert.doesNotMatch(result.stdout + result.stderr, /is not defined/);
  });

  it("does not count the keys a joined member lacks as errors: Debian's file and the same member without bootstrap are valid", async () => {
    for (const file of [debianFile, joinedFile]) {
      const result = await validate(file);
      const report = JSON.parse(result.stdout) as { valid: boolean; findings: ValidationFinding[] };
      assert.equal(result.code, 0, `${file}: ${JSON.stringify(report.findings)}`);
      assert.equal(report.valid, true);
      assert.deepEqual(
        report.findings.filter((finding) => finding.kind === 'other'),
        [],
      );
    }
    const debian = JSON.parse((await validate(debianFile)).stdout) as { findings: ValidationFinding[] };
    assert.deepEqual(
      debian.findings
        .filter((finding) => finding.kind === 'optional-key-missing')
        .map((finding) => finding.path)
        .sort(),
      ['bootstrap.initdb', 'bootstrap.pg_hba', 'postgresql.authentication.rewind'],
    );
  });

  it('still reports a real error in such a file', async () => {
    const broken = join(dir, 'broken.yml');
    await writeFile(broken, (await readFile(joinedFile, 'utf8')).replace(/^name: .*$/m, ''));
    const result = await validate(broken);
    assert.equal(result.code, 1, result.stderr);
    const report = JSON.parse(result.stdout) as { valid: boolean; findings: ValidationFinding[] };
    assert.equal(report.valid, false);
    assert.ok(report.findings.some((finding) => finding.kind === 'other' && finding.path === 'name'));
  });
});
