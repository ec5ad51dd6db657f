import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { classifyPatchConfig, probeWriteSequence } from '../../../src/core/migration/dcs-write-probe.js';

describe('the DCS write probe', () => {
  it('makes each member of a cluster set the marker to a value of its own, then the first one remove it as cleanup', () => {
    assert.deepEqual(probeWriteSequence(['m1', 'm2', 'm3'], 'tok'), [
      { member: 'm1', patch: { pgfleet_probe: 'tok-0' }, proves: true },
      { member: 'm2', patch: { pgfleet_probe: 'tok-1' }, proves: true },
      { member: 'm3', patch: { pgfleet_probe: 'tok-2' }, proves: true },
      { member: 'm1', patch: { pgfleet_probe: null }, proves: false },
    ]);
  });

  it('never counts a removal as a proof: it changes nothing for a member whose view never saw the marker (cut off from etcd) and still answers 200', () => {
    for (const members of [['m1'], ['m1', 'm2'], ['m1', 'm2', 'm3']])
      for (const step of probeWriteSequence(members, 'tok'))
        if (step.proves) assert.notEqual(step.patch.pgfleet_probe, null, JSON.stringify(step));
  });

  it('makes a single member set the marker and remove it (a no-op patch would write nothing)', () => {
    assert.deepEqual(probeWriteSequence(['m1'], 'tok'), [
      { member: 'm1', patch: { pgfleet_probe: 'tok' }, proves: true },
      { member: 'm1', patch: { pgfleet_probe: null }, proves: false },
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
