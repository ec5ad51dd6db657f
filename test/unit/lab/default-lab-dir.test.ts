import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { defaultLabDir } from '../../../src/lab/lab-state.js';

describe('the default lab directory', () => {
  it('is the lab `pgfleet lab env` pointed the shell at ($PGFLEET_LAB_DIR) before any other default', () => {
    assert.equal(defaultLabDir({ PGFLEET_LAB_DIR: '/tmp/some-lab', XDG_STATE_HOME: '/state' }), '/tmp/some-lab');
  });
  it('is under $XDG_STATE_HOME when no lab env is in effect', () => {
    assert.equal(defaultLabDir({ XDG_STATE_HOME: '/state' }), '/state/pgfleet/lab');
    assert.equal(defaultLabDir({ PGFLEET_LAB_DIR: '', XDG_STATE_HOME: '/state' }), '/state/pgfleet/lab');
  });
});
