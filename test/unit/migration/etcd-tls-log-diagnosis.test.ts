import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeEtcdTlsLogCause, diagnoseEtcdTlsLog } from '../../../src/core/migration/etcd-tls-log-diagnosis.js';

// Lines as Patroni 3.0.2 printed them on this stack.
const missingCa = `2026-11-25 15:28:09,571 ERROR: Failed to get list of machines from https://127.0.0.1:43673/v2: MaxRetryError('HTTPSConnectionPool(host=\\'127.0.0.1\\', port=43673): Max retries exceeded with url: /version (Caused by SSLError(SSLError("unable to load trusted certificates: Error([(\\'system library\\', \\'\\', \\'\\'), (\\'BIO routines\\', \\'\\', \\'no such file\\')])")))')`;
const waiting = '2026-11-25 15:28:09,582 INFO: waiting on etcd';
const idna = `2026-11-25 15:25:59,033 ERROR: Failed to get list of machines from https://127.0.0.1:40455/v2: ModuleNotFoundError("No module named 'idna'")`;

describe('why a Patroni restarted on https does not come back', () => {
  it('names an unusable CA file before the generic "waiting on etcd"', () => {
    assert.equal(diagnoseEtcdTlsLog([missingCa, waiting, waiting]), 'ca-file-unusable');
    assert.match(
      describeEtcdTlsLogCause('ca-file-unusable', '/service/alpha/alpha-2')!,
      /cannot load its etcd CA file/,
    );
  });

  it("names the missing idna module of Debian's Patroni", () => {
    assert.equal(diagnoseEtcdTlsLog([idna, waiting]), 'idna-missing');
    assert.match(describeEtcdTlsLogCause('idna-missing', 'm')!, /python3-idna/);
  });

  it('tells an untrusted server certificate and a refused client certificate apart', () => {
    assert.equal(
      diagnoseEtcdTlsLog([
        'SSLError(SSLError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed: unable to get local issuer certificate"))',
      ]),
      'server-not-trusted',
    );
    assert.equal(
      diagnoseEtcdTlsLog(["SSLError(\"bad handshake: Error([('SSL routines', '', 'sslv3 alert bad certificate')])\")"]),
      'client-certificate-refused',
    );
  });

  it('falls back to "waiting on etcd", then to unknown', () => {
    assert.equal(diagnoseEtcdTlsLog([waiting]), 'waiting-on-etcd');
    assert.equal(diagnoseEtcdTlsLog(['INFO: no action. I am (alpha-1), the leader with the lock']), 'unknown');
    assert.equal(describeEtcdTlsLogCause('unknown', 'm'), undefined);
  });
});
