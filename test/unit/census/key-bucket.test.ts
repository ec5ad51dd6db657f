import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { KeyBucketing } from '../../../src/core/census/key-bucket.js';

describe('the prefix a key is counted under', () => {
  it('is its first two directories by default, or fewer when the key has fewer', () => {
    const bucketing = new KeyBucketing();
    assert.equal(bucketing.bucketOf('/app/jobs/42/state'), '/app/jobs/');
    assert.equal(bucketing.bucketOf('/app/jobs'), '/app/');
    assert.equal(bucketing.bucketOf('/top'), '/');
    assert.equal(bucketing.bucketOf('relative/dir/key'), 'relative/dir/');
    assert.equal(bucketing.bucketOf('flat'), '');
  });

  it('is a hinted prefix when the key lies in it and it is deeper, so that a tenant is never split', () => {
    const bucketing = new KeyBucketing({ hints: ['/x/y/zeta/', '/service/'] });
    assert.equal(bucketing.bucketOf('/x/y/zeta/members/z1'), '/x/y/zeta/');
    assert.equal(bucketing.bucketOf('/x/y/other'), '/x/y/');
    // A shallower hint does not make a coarser bucket.
    assert.equal(bucketing.bucketOf('/service/alpha/custom'), '/service/alpha/');
  });

  it('folds into its parent one level up', () => {
    const bucketing = new KeyBucketing();
    assert.equal(bucketing.parentOf('/a/b/'), '/a/');
    assert.equal(bucketing.parentOf('/a/'), '/');
    assert.equal(bucketing.parentOf('/'), '');
  });
});
