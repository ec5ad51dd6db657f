import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  classifyValidatorOutput,
  isValidationError,
  redactSecrets,
} from '../../../src/core/patroni-config/validation-findings.js';

/** Lines as Patroni 3.0.2's --validate-config prints them (captured from the real program). */
const PATRONI_302_OUTPUT = [
  `restapi.connect_address 127.0.0.1:8008 didn't pass validation: 'must not contain "127.0.0.1", "0.0.0.0", "*", "::1", "localhost"'`,
  'bootstrap.pg_hba  is not defined.',
  `etcd3.hosts.0 127.0.0.1:2379 didn't pass validation: '127.0.0.1:2379 is not reachable'`,
  `postgresql.connect_address localhost:5432 didn't pass validation: 'must not contain "127.0.0.1", "0.0.0.0", "*", "::1", "localhost"'`,
  'postgresql.authentication.rewind  is not defined.',
  `restapi.listen 0.0.0.0:8008 didn't pass validation: 'Port 8008 is already in use.'`,
  `etcd.host etcd.invalid:2379 didn't pass validation: [Errno -2] Name or service not known`,
  `postgresql.connect_address 0.0.0.0:5432 didn't pass validation: 'must not contain "127.0.0.1", "0.0.0.0", "*", "::1", "localhost"'`,
].join('\n');

describe("classifying patroni --validate-config's messages", () => {
  const findings = classifyValidatorOutput(PATRONI_302_OUTPUT);

  it('sorts each line into loopback-address, etcd-unreachable, port-in-use, optional-key-missing or other', () => {
    assert.deepEqual(
      findings.map((finding) => [finding.path, finding.kind]),
      [
        ['restapi.connect_address', 'loopback-address'],
        ['bootstrap.pg_hba', 'optional-key-missing'],
        ['etcd3.hosts.0', 'etcd-unreachable'],
        ['postgresql.connect_address', 'loopback-address'],
        ['postgresql.authentication.rewind', 'optional-key-missing'],
        ['restapi.listen', 'port-in-use'],
        ['etcd.host', 'etcd-unreachable'],
        ['postgresql.connect_address', 'other'],
      ],
    );
  });

  it('counts only "other" findings as errors: a connect address on 0.0.0.0 is one, a loopback one is not', () => {
    assert.deepEqual(
      findings.filter(isValidationError).map((finding) => finding.path),
      ['postgresql.connect_address'],
    );
  });

  it('does not count keys a joined member legitimately lacks (bootstrap.*, the rewind user) as errors, but a wrong value there is one', () => {
    const joined = classifyValidatorOutput(
      [
        'bootstrap.pg_hba  is not defined.',
        'bootstrap.initdb  is not defined.',
        'bootstrap.dcs.ttl abc is not an integer',
        'name  is not defined.',
      ].join('\n'),
    );
    assert.deepEqual(
      joined.map((finding) => [finding.path, isValidationError(finding)]),
      [
        ['bootstrap.pg_hba', false],
        ['bootstrap.initdb', false],
        ['bootstrap.dcs.ttl', true],
        ['name', true],
      ],
    );
  });

  it("keeps Patroni's own message", () => {
    assert.equal(findings[1]!.message, 'bootstrap.pg_hba  is not defined.');
  });

  it('never repeats a password Patroni printed: by value, by repr(), and for any key holding a password', () => {
    const password = "it's a\nsecret";
    const output = [
      `postgresql.authentication.superuser.password 12 is not a string`,
      `postgresql.authentication.superuser {'username': 'postgres', 'password': 'it\\'s a\\nsecret'} is not a dictionary.`,
      `tags.clonefrom ${password} is not a boolean`,
    ].join('\n');
    const result = classifyValidatorOutput(output, [password, '12']);
    const text = result.map((finding) => finding.message).join('\n');
    assert.ok(!text.includes("it's a"), 'raw value');
    assert.ok(!text.includes("it\\'s a"), 'repr value');
    assert.ok(!text.includes('secret'), 'second line of a multi-line value');
    assert.ok(!/\b12\b/.test(text), 'short value');
    assert.equal(result[0]!.message, 'postgresql.authentication.superuser.password (value withheld) is not a string');
  });

  it('replaces a short secret only as a whole token, so the rest of the message stays readable', () => {
    assert.equal(redactSecrets(`x.y 127.0.0.1:x is 'x'`, ['x']), `x.y 127.0.0.1:[redacted] is '[redacted]'`);
  });

  it('treats an unrecognisable line as an error', () => {
    assert.deepEqual(
      classifyValidatorOutput('Traceback (most recent call last):').map((finding) => finding.kind),
      ['other'],
    );
  });
});
