import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { isPgfleetError } from '../../../src/core/errors.js';
import { parseLabEtcdApi, withLabDcsSection } from '../../../src/core/lab/lab-etcd-api.js';

describe('a lab on etcd v2 (--etcd-api v2)', () => {
  it('puts the generated DCS section under etcd:, where etcd3: was, and leaves v3 nodes as generated', () => {
    const generated = {
      scope: 'alpha',
      namespace: '/service/',
      name: 'alpha-1',
      etcd3: { hosts: ['127.0.0.1:2379'] },
      restapi: {},
    };
    const v2 = withLabDcsSection(generated, 'v2');
    assert.deepEqual(Object.keys(v2), ['scope', 'namespace', 'name', 'etcd', 'restapi']);
    assert.deepEqual(v2.etcd, generated.etcd3);
    assert.equal(withLabDcsSection(generated, 'v3'), generated);
  });

  it('takes v2 or v3, v3 by default, and refuses anything else', () => {
    assert.equal(parseLabEtcdApi(undefined), 'v3');
    assert.equal(parseLabEtcdApi('v2'), 'v2');
    assert.throws(
      () => parseLabEtcdApi('v4'),
      (error) => isPgfleetError(error) && error.code === 'LAB_BAD_INPUT',
    );
  });
});
