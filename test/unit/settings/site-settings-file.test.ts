import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  loadSiteSettings,
  parseSiteSettings,
  settingsCandidates,
} from '../../../src/adapters/settings/site-settings-file.js';
import { PgfleetError } from '../../../src/core/errors.js';

const BAD = fileURLToPath(new URL('../../fixtures/settings/bad/', import.meta.url));
const noDevices = { fileExists: () => false };

const failure = (text: string, file = '/etc/pgfleet/settings.yaml'): PgfleetError => {
  try {
    parseSiteSettings(text, file, noDevices);
  } catch (error) {
    assert.ok(error instanceof PgfleetError);
    return error;
  }
  assert.fail('expected an error');
};
const badFixture = (name: string): PgfleetError =>
  failure(readFileSync(`${BAD}${name}.yaml`, 'utf8'), `${BAD}${name}.yaml`);

describe('site settings file', () => {
  it('applies every default with `patroni: {}`: an open etcd on 127.0.0.1:2379', () => {
    const settings = parseSiteSettings('patroni: {}\n', '/etc/pgfleet/settings.yaml', noDevices);
    assert.deepEqual(settings.patroni?.etcd.hosts, ['127.0.0.1:2379']);
    assert.equal(settings.patroni?.etcd.protocol, 'http');
    assert.equal(settings.patroni?.etcd.version, 'etcd3');
    assert.equal(settings.patroni?.etcd.namespace, '/service/');
    assert.equal(settings.patroni?.watchdog.mode, 'off');
    assert.deepEqual(settings.patroni?.configuration_mode, { auth: 'local', parameters: 'local' });
  });

  it('names file, line and column of malformed YAML', () => {
    const error = badFixture('malformed-yaml');
    assert.equal(error.code, 'SETTINGS_YAML_INVALID');
    assert.match(error.message, /malformed-yaml\.yaml:\d+:\d+: not valid YAML/);
  });

  it('names an unknown key with its line and column and suggests the closest known one', () => {
    const error = badFixture('unknown-key');
    assert.equal(error.code, 'SETTINGS_UNKNOWN_KEY');
    assert.match(error.message, /unknown-key\.yaml:3:5: unknown key "patroni\.etcd\.hostz"/);
    assert.match(error.hint!, /did you mean "patroni\.etcd\.hosts"/);
  });

  it('suggests a top-level section for a misspelt one', () => {
    const error = failure('patoni: {}\n');
    assert.match(error.message, /settings\.yaml:1:1: unknown key "patoni"/);
    assert.match(error.hint!, /did you mean "patroni"/);
  });

  it('names the field, its line and what is expected for a wrong type', () => {
    const error = badFixture('wrong-type');
    assert.equal(error.code, 'SETTINGS_INVALID');
    assert.match(error.message, /wrong-type\.yaml:3:12: patroni\.etcd\.hosts: .*expected array/);
  });

  it('names the enum values expected for a wrong value', () => {
    const error = failure('patroni:\n  etcd:\n    protocol: ftp\n');
    assert.match(error.message, /settings\.yaml:3:15: patroni\.etcd\.protocol: .*"http".*"https"/);
  });

  it('names a bad list item by its index', () => {
    const error = failure('patroni:\n  etcd:\n    hosts:\n      - 127.0.0.1:2379\n      - no-port\n');
    assert.match(error.message, /settings\.yaml:5:9: patroni\.etcd\.hosts\[1\]: expected host:port/);
  });

  it('explains that YAML 1.1 reads an unquoted off as a boolean', () => {
    const error = badFixture('watchdog-mode-unquoted-off');
    assert.equal(error.code, 'SETTINGS_INVALID');
    assert.match(error.message, /patroni\.watchdog\.mode/);
    assert.match(error.hint!, /quote it \('off'\)/);
  });

  it('refuses settings that are not a mapping', () => {
    const error = badFixture('not-a-mapping');
    assert.equal(error.code, 'SETTINGS_NOT_A_MAPPING');
    assert.match(error.message, /not-a-mapping\.yaml: .*not a list/);
  });

  it('reports every problem of a file in the error details', () => {
    const error = failure('patroni:\n  etcd:\n    hostz: []\n    protocol: ftp\n');
    const problems = (error.details as { problems: { code: string }[] }).problems;
    assert.deepEqual(problems.map((problem) => problem.code).sort(), ['SETTINGS_INVALID', 'SETTINGS_UNKNOWN_KEY']);
  });

  it('accepts IPv6 etcd hosts in brackets', () => {
    const settings = parseSiteSettings('patroni:\n  etcd:\n    hosts: ["[::1]:2379"]\n', 'f.yaml', noDevices);
    assert.deepEqual(settings.patroni?.etcd.hosts, ['[::1]:2379']);
  });

  it('reads relative file paths from the settings file directory', () => {
    const settings = parseSiteSettings(
      'patroni:\n  template: patroni.yaml\n  etcd:\n    protocol: https\n    cacert: tls/ca.crt\n',
      '/srv/site/settings.yaml',
      noDevices,
    );
    assert.equal(settings.patroni?.template, '/srv/site/patroni.yaml');
    assert.equal(settings.patroni?.etcd.cacert, '/srv/site/tls/ca.crt');
  });
});

describe('settings lookup', () => {
  const root = mkdtempSync(join(tmpdir(), 'pgfleet-settings-'));
  after(() => rmSync(root, { recursive: true, force: true }));
  const write = (dir: string, text: string): string => {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'settings.yaml'), text);
    return join(dir, 'settings.yaml');
  };

  it('looks in $PGFLEET_CONFIG_DIR, then $XDG_CONFIG_HOME/pgfleet, then ~/.config/pgfleet, then /etc/pgfleet', () => {
    assert.deepEqual(settingsCandidates({ PGFLEET_CONFIG_DIR: '/a', XDG_CONFIG_HOME: '/x' }, '/home/u'), [
      '/a/settings.yaml',
      '/x/pgfleet/settings.yaml',
      '/etc/pgfleet/settings.yaml',
    ]);
    assert.deepEqual(settingsCandidates({}, '/home/u'), [
      '/home/u/.config/pgfleet/settings.yaml',
      '/etc/pgfleet/settings.yaml',
    ]);
  });

  it('takes the first file found, and --settings over all of them', () => {
    const configDir = join(root, 'config-dir');
    const xdg = join(root, 'xdg');
    const fromXdg = write(join(xdg, 'pgfleet'), 'patroni:\n  etcd:\n    namespace: /xdg/\n');
    const env = { PGFLEET_CONFIG_DIR: configDir, XDG_CONFIG_HOME: xdg };
    assert.deepEqual(loadSiteSettings(undefined, env, noDevices).source, fromXdg);
    const fromConfigDir = write(configDir, 'patroni:\n  etcd:\n    namespace: /config-dir/\n');
    const loaded = loadSiteSettings(undefined, env, noDevices);
    assert.equal(loaded.source, fromConfigDir);
    assert.equal(loaded.settings.patroni?.etcd.namespace, '/config-dir/');
    const explicit = write(join(root, 'explicit'), 'patroni:\n  etcd:\n    namespace: /explicit/\n');
    assert.equal(loadSiteSettings(explicit, env, noDevices).settings.patroni?.etcd.namespace, '/explicit/');
  });

  it('uses every default, with Patroni on, when no file exists', () => {
    const loaded = loadSiteSettings(
      undefined,
      { PGFLEET_CONFIG_DIR: join(root, 'none'), XDG_CONFIG_HOME: join(root, 'none') },
      noDevices,
    );
    if (loaded.source === '/etc/pgfleet/settings.yaml') return; // a machine-wide file wins, as it should
    assert.equal(loaded.source, undefined);
    assert.deepEqual(loaded.settings.patroni?.etcd.hosts, ['127.0.0.1:2379']);
  });

  it('fails on a missing --settings file instead of falling back to defaults', () => {
    assert.throws(
      () => loadSiteSettings(join(root, 'missing.yaml'), {}, noDevices),
      (error: unknown) =>
        error instanceof PgfleetError && error.code === 'SETTINGS_UNREADABLE' && error.message.includes('missing.yaml'),
    );
  });
});
