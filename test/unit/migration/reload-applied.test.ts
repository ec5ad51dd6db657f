import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { reloadAppliedWithinMs } from '../../../src/core/migration/reload-applied.js';

describe('when a POST /reload has taken effect', () => {
  it('is one loop_wait of the cluster plus the cycle under way', () => {
    assert.equal(reloadAppliedWithinMs({ loop_wait: 2, ttl: 20 }), 4_000);
  });

  it("falls back to Patroni's default loop_wait of 10 s when the dynamic configuration does not say", () => {
    assert.equal(reloadAppliedWithinMs({}), 12_000);
    assert.equal(reloadAppliedWithinMs({ loop_wait: 'soon' }), 12_000);
    assert.equal(reloadAppliedWithinMs({ loop_wait: 0 }), 12_000);
  });
});
