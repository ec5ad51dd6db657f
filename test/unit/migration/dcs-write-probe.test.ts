import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyPatchConfig, probeWriteSequence } from '../../../src/core/migration/dcs-write-probe.js';

describe('the DCS write probe', () => {
  it('makes each member of a cluster write one real change, the last one removing the marker', () => {
    assert.deepEqual(probeWriteSequence(['m1', 'm2', 'm3'], 'tok'), [
      { member: 'm1', patch: { pgfleet_probe: 'tok-0' } },
      { member: 'm2', patch: { pgfleet_probe: 'tok-1' } },
      { member: 'm3', patch: { pgfleet_probe: null } },
    ]);
  });

  it('makes a single member set the marker and remove it (a no-op patch would write nothing)', () => {
    assert.deepEqual(probeWriteSequence(['m1'], 'tok'), [
      { member: 'm1', patch: { pgfleet_probe: 'tok' } },
      { member: 'm1', patch: { pgfleet_probe: null } },
    ]);
  });

  it('reads 200 as written, 409 as refused or conflict, 401/403 as the REST API refusing us', () => {
    assert.equal(classifyPatchConfig(200), 'writes');
    assert.equal(classifyPatchConfig(409), 'conflict');
    assert.equal(classifyPatchConfig(401), 'rest-auth');
    assert.equal(classifyPatchConfig(403), 'rest-auth');
    assert.equal(classifyPatchConfig(503), 'error');
  });
});
