import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { restAccessFromPatroniConfig, restAccessFromSettings } from '../../../src/core/restapi/rest-client-access.js';
import { Secret } from '../../../src/core/secret.js';

/**
 * pgfleet reaches a member with what patronictl would use given the same
 * YAML (Patroni 3.0.2's PatroniRequest): ctl first, restapi as a fallback.
 */
describe("pgfleet's REST API access from a member's YAML", () => {
  it('uses http and nothing else for an open member', () => {
    const access = restAccessFromPatroniConfig({
      restapi: { listen: '127.0.0.1:8008', connect_address: '10.0.0.1:8008' },
    });
    assert.deepEqual(access, {
      baseUrl: 'http://10.0.0.1:8008',
      cafile: undefined,
      certfile: undefined,
      keyfile: undefined,
      insecure: false,
    });
  });

  it('switches to https when the REST API has a certfile, and presents the ctl client certificate and the basic-auth password', () => {
    const access = restAccessFromPatroniConfig({
      restapi: {
        listen: '0.0.0.0:8008',
        connect_address: 'db1:8008',
        certfile: '/tls/server.crt',
        keyfile: '/tls/server.key',
        cafile: '/tls/client-ca.crt',
        authentication: { username: 'patroni', password: 'pw-1' },
      },
      ctl: { cacert: '/tls/ca.crt', certfile: '/tls/client.crt', keyfile: '/tls/client.key' },
    });
    assert.equal(access.baseUrl, 'https://db1:8008');
    assert.deepEqual(
      [access.cafile, access.certfile, access.keyfile, access.insecure, access.username],
      ['/tls/ca.crt', '/tls/client.crt', '/tls/client.key', false, 'patroni'],
    );
    assert.ok(access.password instanceof Secret);
    assert.equal(access.password.reveal(), 'pw-1');
  });

  it('falls back to the restapi files as Patroni does: restapi.cafile as the CA, the server certificate as the client one', () => {
    const access = restAccessFromPatroniConfig({
      restapi: { listen: 'h:8008', certfile: '/s.crt', keyfile: '/s.key', cafile: '/ca.crt' },
    });
    assert.deepEqual(
      [access.baseUrl, access.cafile, access.certfile, access.keyfile],
      ['https://h:8008', '/ca.crt', '/s.crt', '/s.key'],
    );
  });

  it('prefers ctl.authentication (Patroni >= 3.1) to restapi.authentication, and honours ctl.insecure', () => {
    const access = restAccessFromPatroniConfig({
      restapi: { listen: 'h:8008', authentication: { username: 'server-side', password: 'a' } },
      ctl: { insecure: true, authentication: { username: 'ctl-side', password: 'b' } },
    });
    assert.equal(access.username, 'ctl-side');
    assert.equal(access.insecure, true);
  });

  it('takes ctl keys the YAML lacks from the settings, never over the YAML', () => {
    const settingsCtl = {
      cacert: '/settings/ca.crt',
      certfile: '/settings/c.crt',
      keyfile: '/settings/c.key',
      insecure: false,
      restapi_credentials: false,
    };
    const access = restAccessFromPatroniConfig(
      { restapi: { listen: 'h:1' }, ctl: { cacert: '/yaml/ca.crt' } },
      settingsCtl,
    );
    assert.deepEqual(
      [access.cafile, access.certfile, access.keyfile],
      ['/yaml/ca.crt', '/settings/c.crt', '/settings/c.key'],
    );
  });

  it('keeps the password a Secret: JSON of the access shows no password', () => {
    const access = restAccessFromPatroniConfig({
      restapi: { listen: 'h:1', authentication: { username: 'u', password: 'never-shown-9' } },
    });
    assert.doesNotMatch(JSON.stringify(access), /never-shown-9/);
  });

  it('reaches a member managed elsewhere at the api_url it published, with the settings ctl', () => {
    const access = restAccessFromSettings('https://db2:8008/patroni', {
      cacert: '/ca.crt',
      certfile: '/c.crt',
      keyfile: '/c.key',
      insecure: false,
      restapi_credentials: false,
    });
    assert.deepEqual(
      [access.baseUrl, access.cafile, access.certfile, access.keyfile, access.username],
      ['https://db2:8008', '/ca.crt', '/c.crt', '/c.key', undefined],
    );
  });
});
