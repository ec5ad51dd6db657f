import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseSiteSettings } from '../../../src/adapters/settings/site-settings-file.js';
import { PgfleetError } from '../../../src/core/errors.js';

const failure = (text: string): PgfleetError => {
  try {
    parseSiteSettings(text, '/etc/pgfleet/settings.yaml');
  } catch (error) {
    assert.ok(error instanceof PgfleetError);
    return error;
  }
  assert.fail('expected an error');
};

describe('site settings file', () => {
  it('applies every default with `patroni: {}`: an open etcd on 127.0.0.1:2379', () => {
    const settings = parseSiteSettings('patroni: {}\n', 'f');
    assert.deepEqual(settings.patroni?.etcd.hosts, ['127.0.0.1:2379']);
    assert.equal(settings.patroni?.etcd.protocol, 'http');
    assert.equal(settings.patroni?.etcd.namespace, '/service/');
  });

  it('names file and line of malformed YAML', () => {
    const error = failure('patroni:\n  etcd:\n    hosts: [a\n');
    assert.equal(error.code, 'SETTINGS_YAML_INVALID');
    assert.match(error.message, /^\/etc\/pgfleet\/settings\.yaml:\d+:\d+: not valid YAML/);
  });

  it('names an unknown key with its line and suggests the closest known one', () => {
    const error = failure('patroni:\n  etcd:\n    hostz: [127.0.0.1:2379]\n');
    assert.equal(error.code, 'SETTINGS_UNKNOWN_KEY');
    assert.match(error.message, /settings\.yaml:3: unknown key "patroni\.etcd\.hostz"/);
    assert.match(error.hint!, /did you mean "patroni\.etcd\.hosts"/);
  });

  it('names the field and what is expected for a wrong type', () => {
    const error = failure('patroni:\n  etcd:\n    protocol: ftp\n');
    assert.equal(error.code, 'SETTINGS_INVALID');
    assert.match(error.message, /settings\.yaml:3: patroni\.etcd\.protocol: .*"http".*"https"/);
  });

  it('refuses settings that are not a mapping', () => {
    assert.equal(failure('- a\n- b\n').code, 'SETTINGS_NOT_A_MAPPING');
  });
});
