import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../../src/core/errors.js';
import type { DoctorReport } from '../../src/doctor/doctor-report.js';
import { ensureBuiltCli } from '../support/built-cli.js';
import { runCli } from '../support/run-cli.js';

describe('pgfleet doctor on this machine (real etcd, Patroni and PostgreSQL installed by scripts/setup.sh)', () => {
  let dir: string;
  let env: Record<string, string>;
  before(async () => {
    ensureBuiltCli();
    dir = await mkdtemp(join(tmpdir(), 'pgfleet-doctor-'));
    // No settings file anywhere pgfleet looks, unless a test writes one.
    env = { PGFLEET_CONFIG_DIR: join(dir, 'config'), XDG_CONFIG_HOME: join(dir, 'xdg') };
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const doctor = async (args: string[], extraEnv: Record<string, string> = {}) => {
    const result = await runCli(['--output', 'json', ...args, 'doctor'], { env: { ...env, ...extraEnv } });
    return { ...result, report: JSON.parse(result.stdout) as DoctorReport };
  };

  it('finds every program with its version, judges the installed pair supported, and exits 0', async () => {
    const { code, report, stderr } = await doctor([]);
    assert.equal(code, ExitCode.ok, stderr);
    assert.equal(report.ok, true);
    assert.deepEqual(
      report.programs.map((program) => [program.name, program.found]),
      [
        ['etcd', true],
        ['etcdctl', true],
        ['patroni', true],
        ['patronictl', true],
        ['postgres', true],
        ['pg_ctl', true],
      ],
    );
    for (const program of report.programs) assert.match(program.version ?? '', /^\d+\.\d+/, program.name);
    assert.deepEqual(
      report.compatibility.map((check) => [check.check, check.status]),
      [
        ['etcd-patroni', 'ok'],
        ['postgresql-patroni', 'ok'],
      ],
    );
    assert.deepEqual(report.missing, []);
    assert.equal(report.install, null);
  });

  it('says no settings file was found and where it looked, in lookup order', async () => {
    const { report } = await doctor([]);
    // /etc/pgfleet is the last place looked at; a machine may have one.
    assert.equal(report.settings.file, existsSync('/etc/pgfleet/settings.yaml') ? '/etc/pgfleet/settings.yaml' : null);
    assert.deepEqual(report.settings.searched.slice(0, 2), [
      join(dir, 'config', 'settings.yaml'),
      join(dir, 'xdg', 'pgfleet', 'settings.yaml'),
    ]);
  });

  it('names the settings file found first: $PGFLEET_CONFIG_DIR before $XDG_CONFIG_HOME, --settings before both', async () => {
    await mkdir(join(dir, 'config'), { recursive: true });
    await mkdir(join(dir, 'xdg', 'pgfleet'), { recursive: true });
    await writeFile(join(dir, 'config', 'settings.yaml'), 'patroni: {}\n');
    await writeFile(join(dir, 'xdg', 'pgfleet', 'settings.yaml'), 'patroni: {}\n');
    await writeFile(join(dir, 'explicit.yaml'), 'patroni: {}\n');
    assert.equal((await doctor([])).report.settings.file, join(dir, 'config', 'settings.yaml'));
    assert.equal(
      (await doctor([], { PGFLEET_CONFIG_DIR: join(dir, 'nowhere') })).report.settings.file,
      join(dir, 'xdg', 'pgfleet', 'settings.yaml'),
    );
    assert.equal(
      (await doctor(['--settings', join(dir, 'explicit.yaml')])).report.settings.file,
      join(dir, 'explicit.yaml'),
    );
    await rm(join(dir, 'config'), { recursive: true });
    await rm(join(dir, 'xdg'), { recursive: true });
  });

  it('reports what is missing with the apt-get command that installs it, and exits 2', async () => {
    const settings = join(dir, 'elsewhere.yaml');
    await writeFile(
      settings,
      [
        'postgresql:',
        '  bin_dir: /usr/lib/postgresql/99/bin',
        'patroni:',
        `  execpath: ${join(dir, 'no-patroni')}`,
        '',
      ].join('\n'),
    );
    const { code, report } = await doctor(['--settings', settings], { PATH: join(dir, 'empty-path') });
    assert.equal(code, ExitCode.usage);
    assert.equal(report.ok, false);
    assert.deepEqual(
      report.missing.map((program) => program.name),
      ['etcd', 'etcdctl', 'patroni', 'postgres', 'pg_ctl'],
    );
    assert.match(report.install ?? '', /apt-get install -y etcd-server etcd-client patroni postgresql-99$/);
  });

  it('reports an invalid settings file with its message, checks the programs anyway, and exits 2', async () => {
    const settings = join(dir, 'invalid.yaml');
    await writeFile(settings, 'patroni:\n  etcd:\n    protocol: gopher\n');
    const { code, report } = await doctor(['--settings', settings]);
    assert.equal(code, ExitCode.usage);
    assert.match(report.settings.error?.message ?? '', /protocol/);
    assert.equal(report.programs.filter((program) => program.found).length, 6);
  });

  it('prints a readable report without --output json', async () => {
    const result = await runCli(['doctor'], { env });
    assert.equal(result.code, ExitCode.ok, result.stderr);
    if (!existsSync('/etc/pgfleet/settings.yaml')) assert.match(result.stdout, /^settings {3}no file found/);
    assert.match(result.stdout, /^ {2}ok {7}patroni {5}\d+\.\d+\.\d+ +\/\S*patroni$/m);
    assert.match(result.stdout, /everything pgfleet needs is here\n$/);
  });

  it('notices a program that does not say its version', async () => {
    const fake = join(dir, 'fake-patroni');
    await writeFile(fake, '#!/bin/sh\necho "no version here"\n');
    await chmod(fake, 0o755);
    const settings = join(dir, 'fake.yaml');
    await writeFile(settings, `patroni:\n  execpath: ${fake}\n`);
    const { code, report } = await doctor(['--settings', settings]);
    assert.equal(code, ExitCode.usage);
    const patroni = report.programs.find((program) => program.name === 'patroni');
    assert.equal(patroni?.found, true);
    assert.equal(patroni?.version, null);
    assert.match(patroni?.problem ?? '', /no version/);
  });
});
