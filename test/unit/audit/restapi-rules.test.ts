import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { restapiBasicAuthWithoutTlsRule } from '../../../src/core/audit/rules/restapi-basic-auth-without-tls.js';
import { restapiNetworkListenWithoutTlsRule } from '../../../src/core/audit/rules/restapi-network-listen-without-tls.js';
import { restapiPgfleetRefusedRule } from '../../../src/core/audit/rules/restapi-pgfleet-refused.js';
import { restapiSafeEndpointsAnonymousRule } from '../../../src/core/audit/rules/restapi-safe-endpoints-anonymous.js';
import { restapiTlsWithoutClientVerificationRule } from '../../../src/core/audit/rules/restapi-tls-without-client-verification.js';
import { restapiUnsafeEndpointsOpenRule } from '../../../src/core/audit/rules/restapi-unsafe-endpoints-open.js';
import { restapiVerifyRequiredWithoutCtlCertsRule } from '../../../src/core/audit/rules/restapi-verify-required-without-ctl-certs.js';
import type { ConfigTree } from '../../../src/core/patroni-config/deep-merge.js';
import { check, live, restApi, securedDocument, settings, snapshot, yamlFile } from './snapshot-builder.js';

const restapiOf = (document: ConfigTree) => document.restapi as ConfigTree;
/** A member whose YAML's restapi section was changed by `change`. */
const memberWith = (change: (restapi: ConfigTree) => void) =>
  yamlFile(
    '/etc/patroni/alpha-1.yaml',
    securedDocument('alpha', 'alpha-1', (d) => change(restapiOf(d))),
  );
const open = memberWith((r) => {
  for (const key of ['certfile', 'keyfile', 'cafile', 'verify_client', 'authentication']) delete r[key];
});

describe('restapi.unsafe-endpoints-open', () => {
  it('fires from the YAML when restapi has neither basic auth nor client verification', () => {
    const findings = check(restapiUnsafeEndpointsOpenRule, snapshot({ patroniFiles: [open] }));
    assert.equal(findings.length, 1);
    assert.match(findings[0]!.evidence, /no authentication and no TLS/);
    assert.match(findings[0]!.fix, /pgfleet restapi secure apply/);
  });
  it('fires from the live probe when an anonymous empty PATCH /config passed the access check, whatever the YAML says', () => {
    const findings = check(
      restapiUnsafeEndpointsOpenRule,
      snapshot({
        live: live({}, [
          restApi('/service/alpha/alpha-1', {
            url: 'http://127.0.0.1:8008',
            unsafe: { outcome: 'allowed', status: 400 },
          }),
        ]),
      }),
    );
    assert.equal(findings.length, 1);
    assert.match(
      findings[0]!.evidence,
      /anonymous PATCH http:\/\/127\.0\.0\.1:8008\/config passed the access check \(HTTP 400; the empty patch itself changes nothing\)/,
    );
  });
  it('tells how to fix a file pgfleet did not generate by its keys and its path, not with a rewrite of the file', () => {
    const foreign = { ...open, path: '/etc/patroni/15-main.yml', generated: false };
    const [finding] = check(restapiUnsafeEndpointsOpenRule, snapshot({ patroniFiles: [foreign] }));
    assert.match(
      finding!.fix,
      /restapi\.authentication\.username and restapi\.authentication\.password in \/etc\/patroni\/15-main\.yml/,
    );
    assert.doesNotMatch(finding!.fix, /restapi secure apply/);
  });
  it('stays quiet with basic auth, with verify_client optional, and when the probe was refused', () => {
    assert.deepEqual(check(restapiUnsafeEndpointsOpenRule, snapshot()), []);
    assert.deepEqual(
      check(restapiUnsafeEndpointsOpenRule, snapshot({ patroniFiles: [memberWith((r) => delete r.authentication)] })),
      [],
    );
    assert.deepEqual(
      check(
        restapiUnsafeEndpointsOpenRule,
        snapshot({
          patroniFiles: [open],
          live: live({}, [restApi('/service/alpha/alpha-1', { unsafe: { outcome: 'unauthorized-401', status: 401 } })]),
        }),
      ),
      [],
    );
  });
});

describe('restapi.basic-auth-without-tls', () => {
  it('fires on basic auth over http: low on loopback, high on a network address', () => {
    const loopback = memberWith((r) => {
      delete r.certfile;
      delete r.keyfile;
    });
    assert.equal(check(restapiBasicAuthWithoutTlsRule, snapshot({ patroniFiles: [loopback] }))[0]!.severity, 'low');
    const network = memberWith((r) => {
      delete r.certfile;
      r.listen = '10.0.0.7:8008';
    });
    assert.equal(check(restapiBasicAuthWithoutTlsRule, snapshot({ patroniFiles: [network] }))[0]!.severity, 'high');
    const probed = check(
      restapiBasicAuthWithoutTlsRule,
      snapshot({
        patroniFiles: [],
        live: live({}, [
          restApi('/service/beta/beta-1', { url: 'http://10.0.0.8:8008', unsafe: { outcome: 'unauthorized-401' } }),
        ]),
      }),
    );
    assert.deepEqual(
      probed.map((f) => [f.object.name, f.severity]),
      [['/service/beta/beta-1', 'high']],
    );
  });
  it('stays quiet with TLS', () => {
    assert.deepEqual(check(restapiBasicAuthWithoutTlsRule, snapshot({ live: live() })), []);
  });
});

describe('restapi.tls-without-client-verification', () => {
  it('fires on certfile with verify_client none: low with basic auth, warning without', () => {
    assert.equal(
      check(
        restapiTlsWithoutClientVerificationRule,
        snapshot({ patroniFiles: [memberWith((r) => (r.verify_client = 'none'))] }),
      )[0]!.severity,
      'low',
    );
    const bare = memberWith((r) => {
      delete r.verify_client;
      delete r.authentication;
    });
    assert.equal(
      check(restapiTlsWithoutClientVerificationRule, snapshot({ patroniFiles: [bare] }))[0]!.severity,
      'warning',
    );
  });
  it('fires from a probe: https took an anonymous unsafe call without asking for a certificate', () => {
    const findings = check(
      restapiTlsWithoutClientVerificationRule,
      snapshot({
        patroniFiles: [],
        live: live({}, [restApi('/service/beta/beta-1', { unsafe: { outcome: 'unauthorized-401' } })]),
      }),
    );
    assert.equal(findings.length, 1);
  });
  it('stays quiet with verify_client optional or required', () => {
    assert.deepEqual(check(restapiTlsWithoutClientVerificationRule, snapshot({ live: live() })), []);
    assert.deepEqual(
      check(
        restapiTlsWithoutClientVerificationRule,
        snapshot({ patroniFiles: [memberWith((r) => (r.verify_client = 'required'))] }),
      ),
      [],
    );
  });
});

describe('restapi.verify-required-without-ctl-certs', () => {
  it('fires when verify_client is required and the YAML has no ctl certificate (patronictl locked out)', () => {
    const file = yamlFile(
      '/etc/patroni/alpha-1.yaml',
      securedDocument('alpha', 'alpha-1', (d) => {
        restapiOf(d).verify_client = 'required';
        d.ctl = { cacert: '/etc/pgfleet/ca.crt' };
      }),
    );
    const findings = check(
      restapiVerifyRequiredWithoutCtlCertsRule,
      snapshot({
        settings: settings({ patroni: { ctl: { certfile: '/c.crt', keyfile: '/c.key' } } }),
        patroniFiles: [file],
      }),
    );
    assert.equal(findings.length, 1);
    assert.match(findings[0]!.evidence, /patronictl \(no ctl certfile\/keyfile/);
    assert.doesNotMatch(findings[0]!.evidence, /pgfleet \(no patroni\.ctl/);
  });
  it('fires when the settings give pgfleet no client certificate', () => {
    const findings = check(
      restapiVerifyRequiredWithoutCtlCertsRule,
      snapshot({ patroniFiles: [memberWith((r) => (r.verify_client = 'required'))] }),
    );
    assert.match(findings[0]!.evidence, /pgfleet \(no patroni\.ctl certfile\/keyfile in the settings\)/);
  });
  it('stays quiet when both have certificates, or verify_client is optional', () => {
    const both = settings({ patroni: { ctl: { certfile: '/c.crt', keyfile: '/c.key' } } });
    assert.deepEqual(
      check(
        restapiVerifyRequiredWithoutCtlCertsRule,
        snapshot({ settings: both, patroniFiles: [memberWith((r) => (r.verify_client = 'required'))] }),
      ),
      [],
    );
    assert.deepEqual(check(restapiVerifyRequiredWithoutCtlCertsRule, snapshot()), []);
  });
});

describe('restapi.pgfleet-refused', () => {
  it("fires when verify_client required refuses pgfleet's own client while the member answers at the handshake", () => {
    const required = restApi('/service/alpha/alpha-1', {
      configFile: '/etc/patroni/alpha-1.yaml',
      safe: { outcome: 'tls-handshake-refused', detail: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' },
      unsafe: { outcome: 'tls-handshake-refused' },
      pgfleet: { outcome: 'connection-closed', detail: 'UND_ERR_SOCKET' },
    });
    const findings = check(restapiPgfleetRefusedRule, snapshot({ live: live({}, [required]) }));
    assert.deepEqual(
      findings.map((f) => [f.severity, f.object.name]),
      [['high', '/service/alpha/alpha-1']],
    );
    assert.equal(
      findings[0]!.evidence,
      "pgfleet's GET https://127.0.0.1:8008/patroni with the credentials of /etc/patroni/alpha-1.yaml failed: connection-closed (UND_ERR_SOCKET), while an anonymous GET got tls-handshake-refused",
    );
  });
  it('fires when pgfleet does not trust the server certificate of a member it knows from the DCS only', () => {
    const untrusted = restApi('/service/beta/beta-1', {
      pgfleet: { outcome: 'server-untrusted', detail: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    });
    const findings = check(restapiPgfleetRefusedRule, snapshot({ live: live({}, [untrusted]) }));
    assert.match(
      findings[0]!.evidence,
      /with the settings' patroni\.ctl failed: server-untrusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\)/,
    );
  });
  it('stays quiet when pgfleet reads the member, when it was not probed, and when the member is down for everyone', () => {
    assert.deepEqual(check(restapiPgfleetRefusedRule, snapshot({ live: live() })), []);
    assert.deepEqual(
      check(
        restapiPgfleetRefusedRule,
        snapshot({ live: live({}, [restApi('/service/alpha/alpha-1', { pgfleet: undefined })]) }),
      ),
      [],
    );
    const down = restApi('/service/alpha/alpha-1', {
      safe: { outcome: 'unreachable', detail: 'ECONNREFUSED' },
      unsafe: { outcome: 'unreachable' },
      pgfleet: { outcome: 'unreachable', detail: 'ECONNREFUSED' },
    });
    assert.deepEqual(check(restapiPgfleetRefusedRule, snapshot({ live: live({}, [down]) })), []);
  });
});

describe('restapi.safe-endpoints-anonymous', () => {
  it('reports (info) that GET /patroni answered an anonymous client', () => {
    const findings = check(restapiSafeEndpointsAnonymousRule, snapshot({ live: live() }));
    assert.deepEqual(
      findings.map((f) => [f.severity, f.object.name]),
      [['info', '/service/alpha/alpha-1']],
    );
  });
  it('stays quiet when the anonymous GET failed the TLS handshake (verify_client required)', () => {
    const required = live({}, [
      restApi('/service/alpha/alpha-1', {
        safe: { outcome: 'tls-handshake-refused' },
        unsafe: { outcome: 'tls-handshake-refused' },
      }),
    ]);
    assert.deepEqual(
      check(
        restapiSafeEndpointsAnonymousRule,
        snapshot({ patroniFiles: [memberWith((r) => (r.verify_client = 'required'))], live: required }),
      ),
      [],
    );
  });
});

describe('restapi.network-listen-without-tls', () => {
  it('fires on an http REST API listening on every interface, or advertised on a network address', () => {
    const wildcard = memberWith((r) => {
      delete r.certfile;
      r.listen = '0.0.0.0:8008';
    });
    assert.match(
      check(restapiNetworkListenWithoutTlsRule, snapshot({ patroniFiles: [wildcard] }))[0]!.evidence,
      /binds every interface/,
    );
    const remote = check(
      restapiNetworkListenWithoutTlsRule,
      snapshot({
        patroniFiles: [],
        live: live({}, [restApi('/service/beta/beta-1', { url: 'http://10.1.2.3:8008' })]),
      }),
    );
    assert.equal(remote.length, 1);
  });
  it('stays quiet on loopback without TLS, and with TLS on a network address', () => {
    assert.deepEqual(check(restapiNetworkListenWithoutTlsRule, snapshot({ patroniFiles: [open] })), []);
    assert.deepEqual(
      check(
        restapiNetworkListenWithoutTlsRule,
        snapshot({ patroniFiles: [memberWith((r) => (r.listen = '10.0.0.7:8008'))] }),
      ),
      [],
    );
  });
});
