import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { PgfleetError } from '../../../src/core/errors.js';
import { parsePatroniVersion, patroniFeatures } from '../../../src/core/patroni-config/patroni-features.js';
import { compareVersions } from '../../../src/core/versions/version-compare.js';

describe('Patroni version features', () => {
  it('reads the version from `patroni --version` output', () => {
    assert.equal(parsePatroniVersion('patroni 3.0.2\n'), '3.0.2');
  });

  it('refuses output without a version, naming the setting to check', () => {
    assert.throws(
      () => parsePatroniVersion('command not found'),
      (error: unknown) =>
        error instanceof PgfleetError &&
        error.code === 'PATRONI_VERSION_UNKNOWN' &&
        /patroni\.execpath/.test(error.hint ?? ''),
    );
  });

  it('knows ctl.authentication exists from 3.1 only', () => {
    assert.equal(patroniFeatures('3.0.2').ctlAuthentication, false);
    assert.equal(patroniFeatures('3.1.0').ctlAuthentication, true);
    assert.equal(patroniFeatures('4.0.4').ctlAuthentication, true);
  });

  it('compares versions numerically, not as text', () => {
    assert.ok(compareVersions('3.10.0', '3.9.1') > 0);
    assert.equal(compareVersions('3.1', '3.1.0'), 0);
  });
});
