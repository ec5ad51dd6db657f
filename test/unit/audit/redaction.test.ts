import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { redactCommandLine, redactPasswords, secretPaths } from '../../../src/core/audit/redaction.js';

describe('redaction of what the audit collects', () => {
  it('turns every password-like value of a document into a Secret, but not settings named after passwords', () => {
    const document = redactPasswords({
      etcd3: { username: 'u', password: 'pw1' },
      restapi: { keyfile_password: 'pw2', authentication: { password: 'pw3' } },
      postgresql: {
        parameters: { password_encryption: 'scram-sha-256' },
        authentication: { superuser: { password: 'pw4', sslpassword: 'pw5' } },
      },
    });
    assert.deepEqual(secretPaths(document).sort(), [
      'etcd3.password',
      'postgresql.authentication.superuser.password',
      'postgresql.authentication.superuser.sslpassword',
      'restapi.authentication.password',
      'restapi.keyfile_password',
    ]);
    assert.equal(JSON.stringify(document).match(/pw\d/g), null);
    assert.match(JSON.stringify(document), /scram-sha-256/);
  });

  it('replaces password values on a command line and names the options that carried them', () => {
    const redacted = redactCommandLine([
      'etcdctl',
      '--user',
      'root:pw1',
      '--password=pw2',
      '--endpoints',
      'http://u:pw3@127.0.0.1:2379',
      '--password-file',
      '/etc/x',
    ]);
    assert.equal(redacted.args.join(' ').match(/pw\d/g), null);
    assert.deepEqual(redacted.passwordArguments, ['--user (user:password)', '--password', 'URL user:password@']);
    assert.ok(redacted.args.includes('/etc/x'));
  });
});
