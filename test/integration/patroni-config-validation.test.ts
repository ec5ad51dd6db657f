import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { writePatroniConfigFile, patroniFileOwner } from '../../src/adapters/patroni/config-file.js';
import { runPatroniValidateConfig } from '../../src/adapters/patroni/validate-config.js';
import { detectPatroniFeatures } from '../../src/adapters/patroni/patroni-binary.js';
import { instanceConfig } from '../../src/adapters/settings/instance-config-inputs.js';
import { loadSiteSettings } from '../../src/adapters/settings/site-settings-file.js';
import { PgfleetError } from '../../src/core/errors.js';
import type { PatroniInstanceOptions } from '../../src/core/patroni-config/instance-options.js';
import { isValidationError } from '../../src/core/patroni-config/validation-findings.js';
import { Secret } from '../../src/core/secret.js';
import {
  EXAMPLES_DIR,
  GOLDEN_CASES,
  TEST_PASSWORDS,
  withoutTestPasswords,
} from '../unit/patroni-config/golden-cases.js';

/**
 * The generated Patroni YAML against the real `patroni --validate-config`
 * (3.0.2 here), the atomic validated write, bad inputs that must write
 * nothing, and the CLI, whose every output is searched for the test passwords.
 */
const PATRONI = '/usr/bin/patroni';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURES = join(ROOT, 'test/fixtures/settings/');
const ALL_PASSWORDS = Object.values(TEST_PASSWORDS);
const SECRETS = ALL_PASSWORDS.map((value) => new Secret(value));

const work = mkdtempSync(join(tmpdir(), 'pgfleet-patroni-config-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Every text a test captured (messages, CLI output), searched for the passwords at the end. */
const captured: string[] = [];
const capture = (text: string): string => {
  captured.push(text);
  return text;
};

function secretFile(name: string, value: string): string {
  const file = join(work, name);
  writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return file;
}

function settingsFile(name: string, text: string): string {
  const file = join(work, `${name}.settings.yaml`);
  writeFileSync(file, text);
  return file;
}

/** Runs pgfleet from the sources (as `node dist/cli/main.js` would run it), without a shell. */
function pgfleet(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'src/cli/main.ts'), ...args],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          NO_COLOR: '1',
          PGFLEET_CONFIG_DIR: join(work, 'no-config'),
          XDG_CONFIG_HOME: join(work, 'no-config'),
        },
        timeout: 120_000,
      },
      (error, stdout, stderr) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

describe('generated Patroni configuration against the installed Patroni', () => {
  before(async () => {
    const features = await detectPatroniFeatures(PATRONI);
    assert.match(features.version, /^\d+\.\d+\.\d+$/);
  });

  for (const golden of GOLDEN_CASES) {
    it(`passes patroni --validate-config with no real error: ${golden.name}`, async () => {
      const file = join(work, `${golden.name}.yaml`);
      writeFileSync(file, readFileSync(join(EXAMPLES_DIR, golden.name, 'patroni.yaml')), { mode: 0o600 });
      // Unroutable etcd hosts may make the 3.0.2 validator wait for TCP timeouts: allow for them.
      const { findings } = await runPatroniValidateConfig(PATRONI, file, SECRETS, 300_000);
      for (const finding of findings) capture(finding.message);
      const errors = findings.filter(isValidationError);
      assert.deepEqual(
        errors.map((finding) => finding.message),
        [],
        `real validation errors for ${golden.name}`,
      );
      assert.ok(
        findings.every((finding) => ['loopback-address', 'etcd-unreachable', 'port-in-use'].includes(finding.kind)),
      );
    });
  }

  it('reports the loopback addresses of a lab-like configuration as loopback-address, not as errors', async () => {
    const text = readFileSync(join(EXAMPLES_DIR, 'open-etcd-localhost', 'patroni.yaml'), 'utf8').replaceAll(
      '198.51.100.10',
      '127.0.0.1',
    );
    const file = join(work, 'loopback.yaml');
    writeFileSync(file, text, { mode: 0o600 });
    const { findings } = await runPatroniValidateConfig(PATRONI, file, SECRETS);
    for (const finding of findings) capture(finding.message);
    assert.deepEqual(
      findings
        .filter((finding) => finding.kind === 'loopback-address')
        .map((finding) => finding.path)
        .sort(),
      ['postgresql.connect_address', 'restapi.connect_address'],
    );
    assert.deepEqual(findings.filter(isValidationError), []);
  });
});

describe('writing a Patroni configuration file', () => {
  const etcdPasswordFile = secretFile('etcd.password', TEST_PASSWORDS.etcd);
  const options: PatroniInstanceOptions = {
    name: 'main',
    patroniCluster: 'alpha',
    patroniNode: 'alpha-1',
    patroniPostgresqlConnectHost: '198.51.100.10',
    patroniRestapiListen: '0.0.0.0:8008',
    patroniRestapiConnectAddress: '198.51.100.10:8008',
    patroniEtcdUsername: 'patroni-alpha',
    patroniEtcdPasswordFile: etcdPasswordFile,
  };
  const roleFiles = {
    superuser: secretFile('su.password', TEST_PASSWORDS.superuser),
    replication: secretFile('repl.password', TEST_PASSWORDS.replication),
    rewind: secretFile('rewind.password', TEST_PASSWORDS.rewind),
  };

  /** The flow `instance create` follows: settings, inputs, template, build, then the validated write. */
  async function generate(
    settingsText: string,
    target: string,
    instanceOptions: PatroniInstanceOptions = options,
  ): Promise<void> {
    const file = settingsFile(`gen-${Math.random().toString(16).slice(2)}`, settingsText);
    const { settings } = loadSiteSettings(file, {}, { fileExists: () => false });
    const result = await instanceConfig({ settings, options: instanceOptions, roleFiles, hostname: 'db1' });
    await writePatroniConfigFile(target, result.config, {
      owner: patroniFileOwner(settings.patroni!),
      validation: { execpath: PATRONI, enforce: settings.patroni!.enforce_config_validation },
    });
  }

  async function generationError(
    settingsText: string,
    instanceOptions?: PatroniInstanceOptions,
  ): Promise<{ error: PgfleetError; target: string }> {
    const target = join(work, `never-${Math.random().toString(16).slice(2)}`, 'main.yaml');
    try {
      await generate(settingsText, target, instanceOptions);
    } catch (error) {
      assert.ok(
        error instanceof PgfleetError,
        `expected a PgfleetError, got ${error instanceof Error ? error.message : String(error)}`,
      );
      capture(`${error.message}\n${error.hint ?? ''}\n${JSON.stringify(error.toJSON())}`);
      assert.equal(existsSync(target), false, 'no file may be written');
      assert.equal(existsSync(join(target, '..')), false, 'not even its directory');
      return { error, target };
    }
    assert.fail('expected generation to fail');
  }

  it('writes a validated file, 0600 in a new 0750 directory, owned by the Patroni user when run as root, secrets readable back exactly', async () => {
    const target = join(work, 'conf.d', 'main.yaml');
    await generate('patroni: {}\n', target);
    assert.equal(statSync(target).mode & 0o777, 0o600);
    assert.equal(statSync(join(work, 'conf.d')).mode & 0o777, 0o750);
    const owner = patroniFileOwner({ user: 'postgres' });
    if (owner) assert.equal(statSync(target).uid, owner.uid);
    const written = parse(readFileSync(target, 'utf8'), { version: '1.1' });
    assert.ok(written.etcd3.password === TEST_PASSWORDS.etcd, 'the etcd password reads back exactly');
    assert.ok(
      written.postgresql.authentication.rewind.password === TEST_PASSWORDS.rewind,
      'a multi-line password reads back exactly',
    );
    assert.deepEqual(readdirSync(join(work, 'conf.d')), ['main.yaml'], 'no temporary file is left');
  });

  it("leaves the old file untouched when Patroni's validation fails, and shows Patroni's message without secrets", async () => {
    const target = join(work, 'conf.d', 'main.yaml');
    const before = readFileSync(target, 'utf8');
    const template = join(work, 'bad-ttl-template.yaml');
    writeFileSync(template, 'bootstrap:\n  dcs:\n    ttl: thirty\n');
    let caught: unknown;
    try {
      await generate(`patroni:\n  template: ${template}\n`, target);
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof PgfleetError, 'validation must fail');
    capture(`${caught.message}\n${caught.hint ?? ''}\n${JSON.stringify(caught.toJSON())}`);
    assert.equal(caught.code, 'PATRONI_CONFIG_INVALID');
    assert.match(caught.message, /bootstrap\.dcs\.ttl thirty is not and integer/);
    assert.match(caught.message, /conf\.d\/main\.yaml/);
    assert.equal(readFileSync(target, 'utf8'), before);
    assert.deepEqual(readdirSync(join(work, 'conf.d')), ['main.yaml'], 'the temporary file is removed');
  });

  it('writes the file anyway, keeping the finding, when enforce_config_validation is false', async () => {
    const target = join(work, 'lenient', 'main.yaml');
    const template = join(work, 'bad-ttl-template.yaml');
    const file = settingsFile('lenient', `patroni:\n  template: ${template}\n  enforce_config_validation: false\n`);
    const { settings } = loadSiteSettings(file, {}, { fileExists: () => false });
    const result = await instanceConfig({ settings, options, roleFiles, hostname: 'db1' });
    const written = await writePatroniConfigFile(target, result.config, {
      validation: { execpath: PATRONI, enforce: false },
    });
    for (const finding of written.findings) capture(finding.message);
    assert.ok(existsSync(target));
    assert.ok(written.findings.some((finding) => finding.kind === 'other' && finding.path === 'bootstrap.dcs.ttl'));
  });

  it('keeps managed values over a hostile site template and keeps its own keys', async () => {
    const target = join(work, 'hostile', 'main.yaml');
    await generate(`patroni:\n  template: ${join(FIXTURES, 'templates/hostile.yaml')}\n`, target);
    const written = parse(readFileSync(target, 'utf8'), { version: '1.1' });
    assert.equal(written.scope, 'alpha');
    assert.deepEqual(written.etcd3.hosts, ['127.0.0.1:2379']);
    assert.equal(written.restapi.listen, '0.0.0.0:8008');
    assert.equal(written.bootstrap.dcs.ttl, 30);
    assert.deepEqual(written.tags, { nofailover: true });
  });

  const badSettings = [
    'malformed-yaml',
    'unknown-key',
    'wrong-type',
    'etcd-cacert-without-https',
    'etcd-cert-without-key',
    'etcd-key-without-cert',
    'verify-client-without-certfile',
    'verify-client-required-without-ctl',
    'watchdog-device-missing',
    'not-a-mapping',
  ];
  for (const name of badSettings) {
    it(`writes nothing for bad settings: ${name}`, async () => {
      const { error } = await generationError(readFileSync(join(FIXTURES, 'bad', `${name}.yaml`), 'utf8'));
      assert.match(error.code, /^SETTINGS_/);
      assert.notEqual(error.exitCode, 0);
      assert.match(error.message, /settings\.yaml/);
    });
  }

  it('writes nothing when the template is not a mapping', async () => {
    const { error } = await generationError(
      `patroni:\n  template: ${join(FIXTURES, 'templates/not-a-mapping.yaml')}\n`,
    );
    assert.equal(error.code, 'PATRONI_TEMPLATE_NOT_A_MAPPING');
  });

  it('writes nothing when a setting needs a newer Patroni than the installed one', async (t) => {
    const features = await detectPatroniFeatures(PATRONI);
    if (features.ctlAuthentication) return t.skip(`the installed Patroni ${features.version} has ctl.authentication`);
    const { error } = await generationError('patroni:\n  ctl:\n    restapi_credentials: true\n', {
      ...options,
      patroniRestapiAuthenticationUsername: 'api',
      patroniRestapiAuthenticationPasswordFile: secretFile('api.password', TEST_PASSWORDS.restapi),
    });
    assert.equal(error.code, 'PATRONI_VERSION_TOO_OLD');
    assert.match(error.message, /needs Patroni >= 3\.1\.0/);
  });

  it('writes nothing when a username comes without its password file', async () => {
    const { error } = await generationError('patroni: {}\n', { ...options, patroniEtcdPasswordFile: undefined });
    assert.equal(error.code, 'INSTANCE_OPTION_MISSING_PASSWORD_FILE');
  });
});

describe('pgfleet settings and patroni config commands', () => {
  const settings = settingsFile(
    'cli',
    'patroni:\n  restapi:\n    certfile: /etc/pgfleet/tls/restapi.crt\n    keyfile: /etc/pgfleet/tls/restapi.key\n    verify_client: optional\n',
  );
  const renderArgs = [
    '--settings',
    settings,
    'patroni',
    'config',
    'render',
    '--name',
    'main',
    '--patroni-cluster',
    'alpha',
    '--patroni-node',
    'alpha-1',
    '--patroni-postgresql-connect-host',
    '198.51.100.10',
    '--patroni-restapi-listen',
    '0.0.0.0:8008',
    '--patroni-etcd-username',
    'patroni-alpha',
    '--patroni-etcd-password-file',
    secretFile('cli-etcd.password', TEST_PASSWORDS.etcd),
    '--patroni-restapi-authentication-username',
    'api',
    '--patroni-restapi-authentication-password-file',
    secretFile('cli-api.password', TEST_PASSWORDS.restapi),
    '--superuser-password-file',
    secretFile('cli-su.password', TEST_PASSWORDS.superuser),
    '--replication-password-file',
    secretFile('cli-repl.password', TEST_PASSWORDS.replication),
    '--rewind-password-file',
    secretFile('cli-rewind.password', TEST_PASSWORDS.rewind),
  ];

  it('renders the YAML with secrets redacted by default', async () => {
    const result = await pgfleet(renderArgs);
    capture(result.stdout + result.stderr);
    assert.equal(result.code, 0, withoutTestPasswords(result.stderr));
    const config = parse(result.stdout, { version: '1.1' });
    assert.equal(config.scope, 'alpha');
    assert.equal(config.restapi.verify_client, 'optional');
    assert.equal(config.etcd3.password, '[redacted]');
    assert.equal(config.restapi.authentication.password, '[redacted]');
  });

  it('renders JSON with secrets redacted', async () => {
    const result = await pgfleet(['--output', 'json', ...renderArgs]);
    capture(result.stdout + result.stderr);
    assert.equal(result.code, 0, withoutTestPasswords(result.stderr));
    const data = JSON.parse(result.stdout);
    assert.equal(data.patroniVersion, (await detectPatroniFeatures(PATRONI)).version);
    assert.equal(data.config.postgresql.authentication.superuser.password, '[redacted]');
  });

  it('shows the real passwords only with --show-secrets, in YAML that reads them back exactly', async () => {
    const result = await pgfleet([...renderArgs, '--show-secrets']);
    // This output holds the passwords by request: checked here, not added to the captured output.
    assert.equal(result.code, 0, withoutTestPasswords(result.stderr));
    capture(result.stderr);
    const config = parse(result.stdout, { version: '1.1' });
    assert.ok(
      config.etcd3.password === TEST_PASSWORDS.etcd &&
        config.postgresql.authentication.rewind.password === TEST_PASSWORDS.rewind,
      'passwords read back exactly',
    );
  });

  it('refuses --show-secrets with JSON output', async () => {
    const result = await pgfleet(['--output', 'json', ...renderArgs, '--show-secrets']);
    capture(result.stdout + result.stderr);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /SECRETS_NOT_IN_JSON/);
  });

  it('fails with the file, line and a suggestion on bad settings, exit code 2', async () => {
    const result = await pgfleet(['--settings', join(FIXTURES, 'bad/unknown-key.yaml'), ...renderArgs.slice(2)]);
    capture(result.stdout + result.stderr);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /unknown-key\.yaml:3:5: unknown key "patroni\.etcd\.hostz"/);
    assert.match(result.stderr, /did you mean "patroni\.etcd\.hosts"/);
  });

  it('validates a file and sorts the findings (exit 0 when only known over-strictness remains)', async () => {
    const file = join(work, 'cli-validate.yaml');
    writeFileSync(file, readFileSync(join(EXAMPLES_DIR, 'etcd-user-password', 'patroni.yaml')), { mode: 0o600 });
    const result = await pgfleet(['--output', 'json', 'patroni', 'config', 'validate', file]);
    capture(result.stdout + result.stderr);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(JSON.parse(result.stdout).valid, true);
  });

  it('shows the effective settings and where they came from', async () => {
    const result = await pgfleet(['--settings', settings, '--output', 'json', 'settings', 'show']);
    capture(result.stdout + result.stderr);
    assert.equal(result.code, 0, result.stderr);
    const data = JSON.parse(result.stdout);
    assert.equal(data.source, settings);
    assert.equal(data.settings.patroni.restapi.verify_client, 'optional');
    assert.equal(data.settings.patroni.etcd.hosts[0], '127.0.0.1:2379');
  });

  it('prints the committed JSON Schema', async () => {
    const result = await pgfleet(['settings', 'schema']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, readFileSync(join(ROOT, 'docs/settings.schema.json'), 'utf8'));
  });
});

describe('no test password in any output', () => {
  it('finds none of the test passwords in anything the tests captured', () => {
    assert.ok(captured.length > 0);
    const leaks = captured.flatMap((text, index) =>
      ALL_PASSWORDS.filter(
        (password) => text.includes(password) || text.includes(JSON.stringify(password).slice(1, -1)),
      ).map(() => index),
    );
    assert.deepEqual(leaks, [], 'captured outputs holding a test password (by index)');
  });
});
