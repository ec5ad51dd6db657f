import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { describeStaleAnswer } from '../../../src/fleet/cluster-pause.js';

describe('a member that has not shown the pause yet, as PAUSE_TIMEOUT names it', () => {
  it('says what it answered and how old its view of the DCS is, so an old view is told from a slow one', () => {
    const askedAt = 1_700_000_040_000;
    assert.equal(
      describeStaleAnswer({ pause: false, role: 'replica', state: 'running', dcs_last_seen: 1_700_000_000 }, askedAt),
      'answered pause=false, replica running, DCS last seen 40 s before',
    );
  });
  it('says so when Patroni does not report dcs_last_seen', () => {
    assert.equal(
      describeStaleAnswer({ role: 'primary', state: 'running' }, 0),
      'answered pause=false, primary running, dcs_last_seen not reported',
    );
  });
  it("never reports a negative age when the member's clock is ahead", () => {
    assert.match(
      describeStaleAnswer({ pause: true, role: 'replica', state: 'running', dcs_last_seen: 2_000 }, 1_000_000),
      /DCS last seen 0 s before/,
    );
  });
});
